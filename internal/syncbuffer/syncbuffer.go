// Package syncbuffer provides an output sink that many goroutines can write
// to while a test reads it, for capturing the logs and output of servers and
// commands running in the background.
package syncbuffer

import (
	"bytes"
	"context"
	"strings"
	"sync"
)

// Buffer is a bytes.Buffer guarded for concurrent use that can also wait
// until its content satisfies a condition. The zero value is ready to use.
type Buffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced after every Write
}

// Write appends p and wakes every waiter.
func (w *Buffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.b.Write(p)
	if w.written != nil {
		close(w.written)
		w.written = nil
	}
	return n, err
}

// String returns a copy of everything written so far.
func (w *Buffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// Wait blocks until cond holds for the buffer's content or ctx ends, and
// returns the content that satisfied it, or ctx's error with the content so
// far. It re-checks after every Write, so it never polls.
func (w *Buffer) Wait(ctx context.Context, cond func(string) bool) (string, error) {
	for {
		w.mu.Lock()
		s := w.b.String()
		if cond(s) {
			w.mu.Unlock()
			return s, nil
		}
		if w.written == nil {
			w.written = make(chan struct{})
		}
		ch := w.written
		w.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return w.String(), ctx.Err()
		}
	}
}

// WaitFor blocks until the buffer contains substr or ctx ends.
func (w *Buffer) WaitFor(ctx context.Context, substr string) (string, error) {
	return w.Wait(ctx, func(s string) bool { return strings.Contains(s, substr) })
}
