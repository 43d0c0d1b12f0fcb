package recordfile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/recordfile"
)

// genCSV streams n company rows without holding the file, as a large file
// on disk would be read.
func genCSV(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, "name,externalId,custom.Tier\n")
		for i := range n {
			fmt.Fprintf(pw, "Company %d,ext-%d,Gold\n", i, i)
		}
		pw.Close()
	}()
	return pr
}

// BenchmarkImport imports 50,000 companies into the emulator per op: 10
// bulk calls. (The 1,000,000-row figures of the CHANGELOG come from the
// binary against 'planbridge emulate planhat', to measure its own RSS.)
func BenchmarkImport(b *testing.B) {
	const rows = 50000
	for b.Loop() {
		b.StopTimer()
		emu, c := emulator(b)
		m, _ := planhat.ModelByName("companies")
		rr, err := recordfile.NewCSVReader(genCSV(rows), m)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := recordfile.Import(context.Background(), planhat.NewResource[json.RawMessage](c, m), rr, recordfile.Options{})
		if err != nil || sum.Created != rows {
			b.Fatalf("%+v, %v", sum, err)
		}
		if calls := emu.Stats().ByRoute["PUT /companies"]; calls != rows/recordfile.MaxChunk {
			b.Fatalf("bulk calls = %d", calls)
		}
	}
	b.ReportMetric(rows, "rows/op")
}
