package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/recordfile"
	"github.com/planbridge/planbridge/relay"
)

// importCmd bulk-upserts a CSV or JSONL file into one Planhat model.
type importCmd struct {
	planhatFlags `embed:""`

	Model  string `arg:"" name:"model" help:"A bulk-capable Planhat model by its API name, e.g. companies, endusers."`
	File   string `arg:"" name:"file" help:"The CSV (header row; custom.<Field> columns) or JSONL (one object per line) file." type:"path"`
	Format string `name:"format" help:"csv or jsonl; default from the file's extension."`
	Errors string `name:"errors" help:"Where bad rows and refused items go, one JSON line each (default FILE.errors.jsonl)."`
	DryRun bool   `name:"dry-run" help:"Read and validate every row; send nothing."`
	Resume bool   `name:"resume" help:"Continue after the last chunk Planhat confirmed in an earlier run (FILE.import-state.json)."`
}

// importState is where an interrupted import got to, kept beside the file
// so --resume sends only the rows Planhat has not confirmed.
type importState struct {
	Model string `json:"model"`
	Size  int64  `json:"size"`
	Line  int    `json:"line"`
}

// saveImportState writes the state atomically, so a crash mid-write
// leaves the previous one.
func saveImportState(path string, st importState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// loadImportState reads the state of an earlier run of the same file and
// model; a changed file cannot be resumed, since its lines moved.
func loadImportState(path string, model string, size int64) (importState, error) {
	var st importState
	b, err := os.ReadFile(path)
	if err != nil {
		return st, fmt.Errorf("--resume: no state of an earlier run (%v); run without --resume to start over", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("--resume: %s is not an import state (%v); delete it and run without --resume", path, err)
	}
	if st.Model != model || st.Size != size {
		return st, fmt.Errorf("--resume: %s records an import of %s from a file of %d bytes, not of %s from this one (%d bytes); run without --resume to start over", path, st.Model, st.Size, model, size)
	}
	return st, nil
}

// Run imports the file and prints the summary on stdout; bad rows are
// reported on stderr and in the errors file. Exit status 1 when rows were
// bad or refused, 2 for bad arguments, 130 when interrupted.
func (c *importCmd) Run(env *Env) error {
	m, err := bulkModel(c.Model)
	if err != nil {
		fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
		return exitError{code: 2}
	}
	format, err := recordfile.FormatFor(c.File, c.Format)
	if err != nil {
		fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
		return exitError{code: 2}
	}
	f, err := os.Open(c.File)
	if err != nil {
		fmt.Fprintf(env.Stderr, "planbridge: opening the import file: %v; check the path\n", err)
		return exitError{code: 1}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		fmt.Fprintf(env.Stderr, "planbridge: reading the import file: %v\n", err)
		return exitError{code: 1}
	}
	statePath := c.File + ".import-state.json"
	after := 0
	if c.Resume {
		st, err := loadImportState(statePath, m.Path, info.Size())
		if err != nil {
			fmt.Fprintf(env.Stderr, "planbridge: %v\n", err)
			return exitError{code: 1}
		}
		after = st.Line
		fmt.Fprintf(env.Stderr, "planbridge: resuming after line %d, the last one Planhat confirmed\n", after)
	}
	counted := &countingReader{r: f}
	rr, err := recordfile.NewReader(format, counted, m)
	if err != nil {
		fmt.Fprintf(env.Stderr, "planbridge: %s: %v\n", c.File, err)
		return exitError{code: 1}
	}
	errPath := c.Errors
	if errPath == "" {
		errPath = c.File + ".errors.jsonl"
	}
	// An errors file of an earlier run would be mistaken for this one's; the
	// new one is created only when a row is bad, so a clean run leaves none.
	if err := os.Remove(errPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(env.Stderr, "planbridge: removing the errors file of an earlier run: %v; pass --errors PATH\n", err)
		return exitError{code: 1}
	}
	errFile := &lazyFile{path: errPath}
	defer errFile.Close()
	// Bad rows go to the file and, the first few, to stderr with their line.
	shown := 0
	errs := lineTee{file: errFile, stderr: env.Stderr, name: c.File, shown: &shown}

	var client *planhat.Client
	if !c.DryRun {
		flags := c.planhatFlags
		var stopSandbox func()
		client, _, stopSandbox, err = flags.commandClient(env, relay.DefaultConversationType, "this imports into the built-in Planhat emulator (discarded on exit)")
		defer stopSandbox()
		if err != nil {
			return reportCommandClient(env, err)
		}
	}
	res := planhat.NewResource[json.RawMessage](client, m)
	progress, done := importProgress(env.Stderr, info.Size(), counted)
	sum, err := recordfile.Import(env.Ctx, res, rr, recordfile.Options{
		DryRun:    c.DryRun,
		Errors:    errs,
		AfterLine: after,
		Confirmed: func(line int) {
			if err := saveImportState(statePath, importState{Model: m.Path, Size: info.Size(), Line: line}); err != nil {
				env.Logger.Warn("could not record the import's progress; --resume will not know it", "file", statePath, "error", err)
			}
		},
		Progress: progress,
	})
	done()
	printImportSummary(env.Stdout, m, sum, c.DryRun, errPath)
	if err == nil && !c.DryRun {
		_ = os.Remove(statePath) // done: nothing to resume
	}
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(env.Stderr, "planbridge: interrupted: stopped after line %d, the last one Planhat confirmed; the rows after it were not sent: run again with --resume to send them\n", sum.LastLine)
		return exitError{code: 130}
	case err != nil:
		fmt.Fprintf(env.Stderr, "planbridge: import stopped after line %d (the last Planhat confirmed): %v; fix the cause and run again with --resume\n", sum.LastLine, err)
		return exitError{code: 1}
	case sum.Invalid > 0 || sum.Failed > 0:
		return exitError{code: 1}
	}
	return nil
}

// bulkModel finds a model that takes bulk upserts, by its API name.
func bulkModel(name string) (*planhat.Model, error) {
	var names []string
	for _, m := range planhat.Models() {
		if m.Supports(planhat.OpBulk) {
			names = append(names, m.Path)
		}
	}
	m, ok := planhat.ModelByName(name)
	if !ok {
		return nil, fmt.Errorf("unknown Planhat model %q: use one of %s", name, strings.Join(names, ", "))
	}
	if !m.Supports(planhat.OpBulk) {
		return nil, fmt.Errorf("Planhat model %q takes no bulk upserts: use one of %s", name, strings.Join(names, ", "))
	}
	return m, nil
}

// printImportSummary prints the final counts, one per line, for people and
// for grep.
func printImportSummary(w io.Writer, m *planhat.Model, s *recordfile.Summary, dry bool, errPath string) {
	verb := "imported"
	if dry {
		verb = "validated (dry run, nothing sent)"
	}
	fmt.Fprintf(w, "%s %s: %d rows read, %d valid, %d invalid\n", m.Path, verb, s.Read, s.Valid, s.Invalid)
	if !dry {
		fmt.Fprintf(w, "sent %d in %d bulk calls: %d created, %d updated, %d unchanged, %d failed\n", s.Sent, s.Calls, s.Created, s.Updated, s.Unchanged, s.Failed)
		for _, r := range s.Reasons {
			fmt.Fprintf(w, "  failed: %s\n", r)
		}
	}
	if s.Invalid > 0 || s.Failed > 0 {
		fmt.Fprintf(w, "bad rows and refused items: %s\n", errPath)
	}
}

// lineTee writes error lines to the errors file and shows the first ones on
// stderr with the file and line, as compilers do.
type lineTee struct {
	file   io.Writer
	stderr io.Writer
	name   string
	shown  *int
}

func (t lineTee) Write(p []byte) (int, error) {
	if *t.shown < 20 {
		var e struct {
			Line  int    `json:"line"`
			Error string `json:"error"`
		}
		if json.Unmarshal(p, &e) == nil {
			if e.Line > 0 {
				fmt.Fprintf(t.stderr, "%s:%d: %s\n", t.name, e.Line, e.Error)
			} else {
				fmt.Fprintf(t.stderr, "%s: Planhat refused an item: %s\n", t.name, e.Error)
			}
		}
		if *t.shown++; *t.shown == 20 {
			fmt.Fprintf(t.stderr, "%s: more in the errors file\n", t.name)
		}
	}
	return t.file.Write(p)
}

// lazyFile creates its file on the first write.
type lazyFile struct {
	path string
	f    *os.File
}

func (l *lazyFile) Write(p []byte) (int, error) {
	if l.f == nil {
		f, err := os.Create(l.path)
		if err != nil {
			return 0, fmt.Errorf("creating the errors file: %w; pass --errors PATH", err)
		}
		l.f = f
	}
	return l.f.Write(p)
}

// Close closes the file, if it was created.
func (l *lazyFile) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

// countingReader counts the bytes read, for the progress bar's ETA: the
// number of rows is unknown until the end.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// importProgress reports an import's progress on stderr after each chunk:
// a bar (rows, calls, rate, ETA by bytes read) when stderr is a terminal,
// otherwise a plain line at most every 5 seconds, so logs stay readable.
func importProgress(stderr io.Writer, size int64, read *countingReader) (func(recordfile.Summary), func()) {
	line := func(s recordfile.Summary) string {
		return fmt.Sprintf("%d rows read, %d sent in %d calls (%.0f rows/s)", s.Read, s.Sent, s.Calls, float64(s.Read)/max(time.Since(s.Started).Seconds(), 1e-3))
	}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionFullWidth(),
		)
		return func(s recordfile.Summary) {
				bar.Describe(line(s))
				_ = bar.Set64(read.n.Load())
			}, func() {
				_ = bar.Finish()
			}
	}
	last := time.Now()
	return func(s recordfile.Summary) {
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			fmt.Fprintf(stderr, "planbridge: %s\n", line(s))
		}
	}, func() {}
}
