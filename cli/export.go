package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/recordfile"
	"github.com/planbridge/planbridge/relay"
)

// exportCmd streams every record of a model to CSV or JSONL.
type exportCmd struct {
	planhatFlags `embed:""`

	Model  string `arg:"" name:"model" help:"A Planhat model by its API name, e.g. companies, endusers."`
	Format string `name:"format" help:"csv or jsonl; default from --output's extension, else csv."`
	Output string `name:"output" short:"o" help:"File to write (default standard output)." type:"path"`
}

// Run writes the records and reports the count on stderr.
func (c *exportCmd) Run(env *Env) error {
	m, ok := planhat.ModelByName(c.Model)
	if !ok || !m.Supports(planhat.OpList) {
		_, err := bulkModel(c.Model)
		fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
		return exitError{code: 2}
	}
	format := recordfile.CSV
	if c.Format != "" || c.Output != "" {
		f, err := recordfile.FormatFor(c.Output, c.Format)
		if err != nil {
			fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
			return exitError{code: 2}
		}
		format = f
	}
	flags := c.planhatFlags
	client, _, stopSandbox, err := flags.commandClient(env, relay.DefaultConversationType, "this exports the built-in Planhat emulator's demo data")
	defer stopSandbox()
	if err != nil {
		return reportCommandClient(env, err)
	}
	var out io.Writer = env.Stdout
	var file *os.File
	if c.Output != "" {
		if file, err = os.Create(c.Output); err != nil {
			fmt.Fprintf(env.Stderr, "planbridge: creating the output file: %v\n", err)
			return exitError{code: 1}
		}
		defer file.Close()
		out = file
	}
	bw := bufio.NewWriter(out)
	sum, err := recordfile.Export(env.Ctx, client.Objects(m), format, bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err == nil && file != nil {
		err = file.Close()
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "planbridge: export of %s stopped after %d records: %v\n", m.Path, sum.Records, err)
		return exitError{code: 1}
	}
	fmt.Fprintf(env.Stderr, "planbridge: exported %d %s\n", sum.Records, m.Path)
	if sum.Dropped > 0 {
		fmt.Fprintf(env.Stderr, "planbridge: %d fields of later records had no column in the CSV header (taken from the first page); export with --format jsonl to keep every field\n", sum.Dropped)
	}
	return nil
}
