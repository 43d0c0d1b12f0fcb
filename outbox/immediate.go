package outbox

import (
	"context"
)

// kick is the state of one destination and kind's Kick flush.
type kick struct {
	running bool
	again   bool
}

// RegisterImmediate sets the deliverer of kind and delivers its items as
// soon as they are due, without the flush interval, draining each key's
// items one after another. It is for work a person is waiting for (a chat
// message), where coalescing buys nothing; call it before Run.
func (o *Outbox) RegisterImmediate(kind string, d Deliverer) {
	o.Register(kind, d)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.immediate == nil {
		o.immediate = map[string]bool{}
	}
	o.immediate[kind] = true
}

func (o *Outbox) isImmediate(kind string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.immediate[kind]
}

// Kick delivers the claimable items of dest and kind now, in the
// background, in this process, whether or not it holds the delivery
// lease: the replica that accepted a chat message sends it without waiting
// for the leader's next round. Claims are atomic and a key's items are
// claimed one at a time, so a flush racing the leader's keeps the order
// and sends nothing twice. Kicks during a flush make it look once more
// instead of starting another. Call it after the enqueue committed; ctx
// bounds the flush (use the server's run context, not a request's). After
// Run has returned, Kick does nothing: the next process delivers.
func (o *Outbox) Kick(ctx context.Context, dest, kind string) {
	d, ok := o.deliverer(kind)
	if !ok {
		return
	}
	k := groupKey{dest, kind}
	o.mu.Lock()
	if o.kicks == nil {
		o.kicks = map[groupKey]*kick{}
	}
	st := o.kicks[k]
	if st == nil {
		st = &kick{}
		o.kicks[k] = st
	}
	if o.stopped {
		o.mu.Unlock()
		return
	}
	if st.running {
		st.again = true
		o.mu.Unlock()
		return
	}
	st.running = true
	o.wg.Add(1)
	o.mu.Unlock()
	go func() {
		defer o.wg.Done()
		for {
			if err := o.flush(ctx, dest, kind, d); err != nil && ctx.Err() == nil {
				o.log.Warn("outbox: kicked flush failed", "dest", dest, "kind", kind, "err", err)
			}
			o.mu.Lock()
			if !st.again || ctx.Err() != nil {
				st.running = false
				delete(o.kicks, k)
				o.mu.Unlock()
				return
			}
			st.again = false
			o.mu.Unlock()
		}
	}()
}
