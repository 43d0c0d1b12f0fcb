package syncbuffer_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/planbridge/planbridge/internal/syncbuffer"
)

func TestConcurrentWritesAreAllKept(t *testing.T) {
	t.Parallel()
	var b syncbuffer.Buffer
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { fmt.Fprintf(&b, "line %d\n", i) })
	}
	wg.Wait()
	if got := strings.Count(b.String(), "\n"); got != 50 {
		t.Fatalf("got %d lines, want 50:\n%s", got, b.String())
	}
}

func TestWaitWakesOnWrite(t *testing.T) {
	t.Parallel()
	var b syncbuffer.Buffer
	go func() {
		for _, s := range []string{"starting\n", "still starting\n", "listening on http://127.0.0.1:1\n"} {
			b.Write([]byte(s))
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got, err := b.WaitFor(ctx, "listening on")
	if err != nil {
		t.Fatalf("WaitFor: %v (content %q)", err, got)
	}
	if !strings.Contains(got, "listening on") {
		t.Fatalf("WaitFor returned %q, which lacks the substring", got)
	}
}

func TestWaitReturnsContextErrorWithContent(t *testing.T) {
	t.Parallel()
	var b syncbuffer.Buffer
	b.Write([]byte("partial"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got, err := b.WaitFor(ctx, "never")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got != "partial" {
		t.Fatalf("content = %q, want %q", got, "partial")
	}
}

func ExampleBuffer() {
	var logs syncbuffer.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	go logger.Info("listening", "addr", "127.0.0.1:8080")

	got, err := logs.WaitFor(context.Background(), "listening")
	fmt.Print(got, err)
	// Output:
	// level=INFO msg=listening addr=127.0.0.1:8080
	// <nil>
}
