package recordfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/planbridge/planbridge/planhat"
)

// MaxChunk is the most items one bulk upsert carries, Planhat's limit.
const MaxChunk = 5000

// maxReasons bounds the Planhat failure reasons a Summary keeps, so a file
// of failing rows does not grow memory; every failure goes to Errors.
const maxReasons = 20

// Options tune Import.
type Options struct {
	// DryRun reads and validates every row and sends nothing.
	DryRun bool
	// ChunkSize is the items per bulk upsert; 0 or above MaxChunk is MaxChunk.
	ChunkSize int
	// Errors receives one JSON line per bad row and per item Planhat refused
	// ({"line":…, "error":…, "item":…}); nil discards them. A failed write
	// stops the import: rows would be dropped without a trace.
	Errors io.Writer
	// AfterLine skips rows starting on or before this line (resuming).
	AfterLine int
	// Confirmed is called after each chunk Planhat answered, with the last
	// line of that chunk, so a caller can record where to resume.
	Confirmed func(lastLine int)
	// Progress is called after each chunk and at the end.
	Progress func(Summary)
}

// Summary is how far an import got.
type Summary struct {
	// Read counts rows read (skipped resumed rows excluded); Valid and
	// Invalid split them.
	Read, Valid, Invalid int
	// Sent counts items sent; Calls the bulk upserts that carried them.
	Sent, Calls int
	// Created, Updated, Unchanged and Failed are Planhat's counts, summed.
	Created, Updated, Unchanged, Failed int
	// Reasons are the first of Planhat's failure messages.
	Reasons []string
	// LastLine is the last line of the last chunk Planhat answered.
	LastLine int
	// Started is when the import began.
	Started time.Time
}

// Import reads rows from rr and bulk-upserts the valid ones through res in
// chunks, one after another, paced by the client's rate limiter. Bad rows
// are written to opts.Errors and not sent. A cancelled ctx stops the import
// after the chunk in flight (that chunk still completes, so Planhat's answer
// is known); the summary says how far it got, and the error is ctx's.
func Import(ctx context.Context, res *planhat.Resource[json.RawMessage], rr RowReader, opts Options) (*Summary, error) {
	size := opts.ChunkSize
	if size <= 0 || size > MaxChunk {
		size = MaxChunk
	}
	sum := &Summary{Started: time.Now(), LastLine: opts.AfterLine}
	errOut := json.NewEncoder(cmpWriter(opts.Errors))
	items := make([]json.RawMessage, 0, size)
	lines := make([]int, 0, size)
	flush := func() error {
		if len(items) == 0 {
			return nil
		}
		defer func() { items, lines = items[:0], lines[:0] }()
		if opts.DryRun {
			return nil
		}
		// The chunk in flight is not cancelled with ctx: its answer says
		// what Planhat did, which a clean stop must know.
		r, err := res.BulkUpsert(context.WithoutCancel(ctx), items)
		var be *planhat.BulkError
		if errors.As(err, &be) && be.Result != nil {
			r, err = be.Result, nil
		}
		if r != nil {
			sum.Calls += len(r.Chunks)
		}
		if err != nil {
			return fmt.Errorf("sending the chunk of lines %d-%d: %w", lines[0], lines[len(lines)-1], err)
		}
		sum.Sent += len(items)
		sum.Created += r.Created
		sum.Updated += r.Updated
		sum.Unchanged += r.NonUpdates
		sum.Failed += r.Failed()
		for _, l := range [][]planhat.BulkItemError{r.CreatedErrors, r.UpdatedErrors, r.PermissionErrors} {
			for _, e := range l {
				if len(sum.Reasons) < maxReasons {
					sum.Reasons = append(sum.Reasons, e.Message)
				}
				if err := errOut.Encode(errorLine{Error: e.Message, Item: e.Item, Planhat: true}); err != nil {
					return fmt.Errorf("writing the errors file: %w", err)
				}
			}
		}
		sum.LastLine = lines[len(lines)-1]
		if opts.Confirmed != nil {
			opts.Confirmed(sum.LastLine)
		}
		if opts.Progress != nil {
			opts.Progress(*sum)
		}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, err
		}
		if row.Line <= opts.AfterLine {
			continue
		}
		sum.Read++
		if row.Err != nil {
			sum.Invalid++
			if err := errOut.Encode(errorLine{Line: row.Line, Error: row.Err.Error()}); err != nil {
				return sum, fmt.Errorf("writing the errors file: %w", err)
			}
			continue
		}
		sum.Valid++
		items, lines = append(items, row.Item), append(lines, row.Line)
		if len(items) == size {
			if err := flush(); err != nil {
				return sum, err
			}
		}
	}
	if err := flush(); err != nil {
		return sum, err
	}
	if opts.Progress != nil {
		opts.Progress(*sum)
	}
	return sum, nil
}

// errorLine is one line of the errors file.
type errorLine struct {
	Line    int             `json:"line,omitempty"`
	Error   string          `json:"error"`
	Planhat bool            `json:"planhat,omitempty"`
	Item    json.RawMessage `json:"item,omitempty"`
}

func cmpWriter(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
