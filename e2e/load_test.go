//go:build linux

package e2e_test

// A conversation-logging load for the REST door, which records exactly
// which calls were answered 2xx, and the proof at the Planhat emulator
// that every answered message arrived once.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/planbridge/planbridge/planhat/planhatemu"
)

// callState is what became of one logConversation call.
type callState uint8

const (
	unsent   callState = iota
	answered           // 2xx: its messages must reach Planhat exactly once
	failed             // no answer (the server was killed): at most once
)

// logCall is one logConversation call of the load.
type logCall struct {
	conv   string
	tokens []string // the unique marker in each message's text
	body   []byte
}

// convLoad is messages spread over conversations, cut into calls of 1 to 3
// messages, in rounds: round r holds the r-th call of every conversation
// that has one, shuffled, so every conversation grows throughout the run.
type convLoad struct {
	calls []logCall
	state []callState
	// msgs counts the messages of the load.
	msgs int
}

// markerRE finds the markers in a transcript.
var markerRE = regexp.MustCompile(`pbmsg[0-9a-z]+`)

// loadSpec describes a convLoad.
type loadSpec struct {
	prefix                  string // of the conversation ids
	conversations, messages int
	companyID               string
	seed                    uint64
	// The first withEmail conversations name email as their end user, so
	// delivering them costs a contact lookup each and counts engagement.
	email     string
	withEmail int
}

func newConvLoad(spec loadSpec) *convLoad {
	prefix, conversations, messages, seed := spec.prefix, spec.conversations, spec.messages, spec.seed
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	nonce := fmt.Sprintf("%08x", rng.Uint32())
	var rounds [][]logCall
	authors := []string{"user", "bot"}
	for c := range conversations {
		conv := fmt.Sprintf("%s-%05d", prefix, c)
		n := messages / conversations
		if c < messages%conversations {
			n++
		}
		for m, r := 0, 0; m < n; r++ {
			size := min(1+rng.IntN(3), n-m)
			type msg struct {
				ID     string `json:"id"`
				Author string `json:"author"`
				Text   string `json:"text"`
			}
			in := struct {
				ConversationID string `json:"conversationId"`
				CompanyID      string `json:"companyId"`
				EndUserEmail   string `json:"endUserEmail,omitempty"`
				BotName        string `json:"botName"`
				Messages       []msg  `json:"messages"`
			}{ConversationID: conv, CompanyID: spec.companyID, BotName: "CrashBot"}
			if c < spec.withEmail {
				in.EndUserEmail = spec.email
			}
			call := logCall{conv: conv}
			for range size {
				// The marker holds the conversation and the message number,
				// so the same text can never come from two messages.
				marker := fmt.Sprintf("pbmsg%sc%05dm%03d", nonce, c, m)
				call.tokens = append(call.tokens, marker)
				in.Messages = append(in.Messages, msg{ID: fmt.Sprintf("%s-m%03d", conv, m), Author: authors[m%2],
					Text: fmt.Sprintf("%s says hello, turn %d of %s", marker, m, conv)})
				m++
			}
			call.body, _ = json.Marshal(in)
			if r == len(rounds) {
				rounds = append(rounds, nil)
			}
			rounds[r] = append(rounds[r], call)
		}
	}
	l := &convLoad{msgs: messages}
	for _, round := range rounds {
		rng.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		l.calls = append(l.calls, round...)
	}
	l.state = make([]callState, len(l.calls))
	return l
}

// indexes returns the calls in state s, in load order.
func (l *convLoad) indexes(s callState) []int {
	var out []int
	for i, st := range l.state {
		if st == s {
			out = append(out, i)
		}
	}
	return out
}

// messagesIn counts the messages of the calls in state s.
func (l *convLoad) messagesIn(s callState) int {
	n := 0
	for i, st := range l.state {
		if st == s {
			n += len(l.calls[i].tokens)
		}
	}
	return n
}

// sendOptions drive one sending phase.
type sendOptions struct {
	workers int
	// door is the base URL call i goes to; "" leaves the call unsent.
	door func(i int) string
	key  string
	// Once stopAt messages (when > 0) were answered, stop runs beside the
	// callers, which go on sending; it calls halt, after which no new call
	// starts and transport errors are expected, and kills a server.
	stopAt int64
	stop   func(halt func())
}

// send sends the calls todo through the REST door with opts.workers
// concurrent callers and records each call's state. It returns what must
// not happen: non-2xx answers, and transport errors while no stop was asked.
func (l *convLoad) send(client *http.Client, todo []int, opts sendOptions) []error {
	var next, answeredMsgs atomic.Int64
	var stopped, triggered atomic.Bool
	var mu sync.Mutex
	var problems []error
	problem := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, err)
	}
	var wg sync.WaitGroup
	for range opts.workers {
		wg.Go(func() {
			for !stopped.Load() {
				k := int(next.Add(1)) - 1
				if k >= len(todo) {
					return
				}
				i := todo[k]
				door := opts.door(i)
				if door == "" {
					continue
				}
				ok, err := l.post(client, door, opts.key, l.calls[i])
				switch {
				case ok:
					l.state[i] = answered
					if err != nil {
						problem(fmt.Errorf("call %d (%s): %w", i, l.calls[i].conv, err))
					}
					n := answeredMsgs.Add(int64(len(l.calls[i].tokens)))
					if opts.stopAt > 0 && n >= opts.stopAt && triggered.CompareAndSwap(false, true) {
						wg.Go(func() { opts.stop(func() { stopped.Store(true) }) })
					}
				default:
					l.state[i] = failed
					var he *httpError
					if errors.As(err, &he) || !stopped.Load() {
						problem(fmt.Errorf("call %d (%s): %w", i, l.calls[i].conv, err))
					}
				}
			}
		})
	}
	wg.Wait()
	return problems
}

// httpError is an answer that is not the 200 expected.
type httpError struct {
	status int
	body   string
}

func (e *httpError) Error() string { return fmt.Sprintf("answered %d %s", e.status, e.body) }

// post sends one call; ok means the door answered 200 with every message
// accepted as new.
func (l *convLoad) post(client *http.Client, base, key string, c logCall) (bool, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/v1/actions/logConversation", bytes.NewReader(c.body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		// The status line came but not the whole answer: not answered.
		return false, err
	}
	if resp.StatusCode/100 != 2 {
		return false, &httpError{resp.StatusCode, string(body)}
	}
	var out struct {
		Accepted   int `json:"accepted"`
		Duplicates int `json:"duplicates"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return false, &httpError{resp.StatusCode, string(body)}
	}
	// Nothing is ever sent twice, so a duplicate means a message was
	// stored by a call that was not answered: a real error, but the
	// messages are answered all the same.
	if out.Accepted != len(c.tokens) || out.Duplicates != 0 {
		return true, &httpError{resp.StatusCode, fmt.Sprintf("%s: want accepted %d, duplicates 0", body, len(c.tokens))}
	}
	return true, nil
}

// loadClient is an HTTP client for many concurrent callers on loopback.
func loadClient(workers int) *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * workers, IdleConnTimeout: 30 * time.Second}}
}

// verifyDelivered proves at the emulator that every answered message of
// the load is in the description of exactly one conversation, the one with
// externalId bot-<conversationId>, exactly once; that no conversation is
// there twice; and that messages never answered are there at most once.
func verifyDelivered(tb testing.TB, emu *planhatemu.Server, l *convLoad, companyID string) {
	tb.Helper()
	type where struct {
		ext   string
		count int
	}
	found := map[string][]where{} // marker -> conversations holding it
	perExt := map[string]int{}
	bad := 0
	report := func(format string, args ...any) {
		bad++
		if bad <= 20 {
			tb.Errorf(format, args...)
		}
	}
	for _, c := range emu.Objects("conversations") {
		ext, _ := c["externalId"].(string)
		if !strings.HasPrefix(ext, "bot-") {
			continue // the emulator's seeded conversations
		}
		perExt[ext]++
		if c["type"] != "Chatbot" || c["companyId"] != companyID {
			report("conversation %s has type %v and companyId %v, want Chatbot and %s", ext, c["type"], c["companyId"], companyID)
		}
		desc, _ := c["description"].(string)
		counts := map[string]int{}
		for _, m := range markerRE.FindAllString(desc, -1) {
			counts[m]++
		}
		for m, n := range counts {
			found[m] = append(found[m], where{ext, n})
		}
	}
	var dups []string
	for ext, n := range perExt {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s ×%d", ext, n))
		}
	}
	sort.Strings(dups)
	if len(dups) > 0 {
		report("%d conversations are in Planhat more than once: %s", len(dups), strings.Join(dups[:min(10, len(dups))], ", "))
	}
	missing, doubled, misplaced, unansweredThere := 0, 0, 0, 0
	for i, call := range l.calls {
		want := "bot-" + call.conv
		for _, m := range call.tokens {
			ws := found[m]
			total := 0
			for _, w := range ws {
				total += w.count
				if w.ext != want {
					misplaced++
					report("message %s of %s is in conversation %s", m, call.conv, w.ext)
				}
			}
			switch {
			case l.state[i] == answered && total == 0:
				missing++
				report("message %s of %s was answered 2xx but is in no Planhat conversation", m, call.conv)
			case total > 1:
				doubled++
				report("message %s of %s is in Planhat %d times (%v), want once", m, call.conv, total, ws)
			case l.state[i] != answered && total == 1:
				unansweredThere++
			}
		}
	}
	if bad > 20 {
		tb.Errorf("… and %d more problems", bad-20)
	}
	tb.Logf("Planhat holds %d bot conversations; answered messages missing %d, doubled %d, misplaced %d; unanswered messages delivered anyway %d of %d",
		len(perExt), missing, doubled, misplaced, unansweredThere, l.msgs-l.messagesIn(answered))
}
