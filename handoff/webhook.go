package handoff

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planfix"
	"github.com/planbridge/planbridge/store"
)

// Headers of the REST door's webhook calls.
const (
	HeaderTimestamp = "X-Planbridge-Timestamp"
	HeaderSignature = "X-Planbridge-Signature"
	HeaderEventID   = "X-Planbridge-Event-Id"
)

// Sign returns the X-Planbridge-Signature of a webhook body: "v1=" and the
// hex HMAC-SHA256, keyed by the secret, of the timestamp (unix seconds as
// sent in X-Planbridge-Timestamp), a ".", and the body.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook's signature in constant time and that its
// timestamp is within tolerance of now; receivers may use it.
func Verify(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("the timestamp is not unix seconds")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("the timestamp is too far from now (a replay, or a wrong clock)")
	}
	if !hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature)) {
		return errors.New("the signature does not match")
	}
	return nil
}

// WebhookEvent is what the REST door posts to the operator's webhook.
type WebhookEvent struct {
	// ID is unique per event: receivers de-duplicate by it (deliveries are
	// at least once).
	ID string `json:"id"`
	// Type is agentMessage, assigned or stopped.
	Type      string `json:"type"`
	SessionID string `json:"sessionId"`
	ChatID    string `json:"chatId"`
	// Seq orders a session's events (the outbox's item ids only grow).
	Seq     int64         `json:"seq"`
	Message *WebhookReply `json:"message,omitempty"`
	// Reason says who stopped the session: agent, bot or operator.
	Reason string `json:"reason,omitempty"`
}

// WebhookReply is an agent's reply.
type WebhookReply struct {
	Text        string               `json:"text"`
	Attachments []planfix.Attachment `json:"attachments,omitempty"`
	AgentName   string               `json:"agentName"`
	AgentAvatar string               `json:"agentAvatarUrl,omitempty"`
	MessageID   string               `json:"planfixMessageId,omitempty"`
}

// deliverWebhook posts KindBot items of a REST installation, signed.
func (e *Engine) deliverWebhook(ctx context.Context, in store.HandoffInstallation, items []store.Item) []outbox.Result {
	if in.WebhookURL == "" {
		return outbox.All(len(items), outbox.Result{Verdict: outbox.Retry, Err: errors.New("no webhook URL is configured for hand-off events: set PLANBRIDGE_HANDOFF_WEBHOOK_URL")})
	}
	hc := e.opts.WebhookHTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	return parallel(ctx, e.opts.Parallel, items, func(ctx context.Context, it store.Item) outbox.Result {
		var p botItem
		if err := json.Unmarshal(it.Payload, &p); err != nil {
			return outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("undecodable hand-off item: %w", err)}
		}
		sess, err := e.st.HandoffSession(ctx, p.ChatID)
		if err != nil {
			return outbox.Result{Verdict: outbox.Retry, Err: err}
		}
		var events []WebhookEvent
		id := "evt_" + strconv.FormatInt(it.ID, 10)
		switch p.Op {
		case opAgentMessage:
			m := p.Message
			events = append(events, WebhookEvent{ID: id, Type: "agentMessage", SessionID: sess.ConversationID, ChatID: sess.ChatID, Seq: it.ID * 2,
				Message: &WebhookReply{Text: m.Text, Attachments: m.Attachments, AgentName: agentName(m), AgentAvatar: m.UserIco, MessageID: m.MessageID}})
			if p.First {
				events = append(events, WebhookEvent{ID: id + "-assigned", Type: "assigned", SessionID: sess.ConversationID, ChatID: sess.ChatID, Seq: it.ID*2 + 1})
			}
		case opStopped:
			events = append(events, WebhookEvent{ID: id, Type: "stopped", SessionID: sess.ConversationID, ChatID: sess.ChatID, Seq: it.ID * 2, Reason: p.Reason})
		default:
			return outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("unknown hand-off operation %q", p.Op)}
		}
		for i, ev := range events {
			if r := e.postWebhook(ctx, hc, in, ev); r.Verdict != outbox.Delivered {
				// A reply the bot refused will never reach the user: say so
				// to the agent, as for a reply Botpress refuses.
				if i == 0 && p.Op == opAgentMessage && r.Verdict == outbox.Fail {
					e.reportStatus(ctx, in.ID, sess.ChatID, p.Message.MessageID, planfix.StatusError, "The bot's webhook refused the reply: "+r.Err.Error())
				}
				return r
			}
		}
		if p.Op == opAgentMessage {
			e.reportStatus(ctx, in.ID, sess.ChatID, p.Message.MessageID, planfix.StatusSent, "")
		}
		return outbox.Result{Verdict: outbox.Delivered}
	})
}

func (e *Engine) postWebhook(ctx context.Context, hc *http.Client, in store.HandoffInstallation, ev WebhookEvent) outbox.Result {
	body, _ := json.Marshal(ev)
	ts := strconv.FormatInt(e.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("the hand-off webhook URL is unusable: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "planbridge")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderEventID, ev.ID)
	req.Header.Set(HeaderSignature, Sign(in.WebhookSecret, ts, body))
	resp, err := hc.Do(req)
	if err != nil {
		return outbox.Result{Verdict: outbox.Retry, Err: fmt.Errorf("posting to the hand-off webhook: %w", err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return outbox.Result{Verdict: outbox.Delivered}
	case s == http.StatusTooManyRequests || s == http.StatusRequestTimeout || s >= 500:
		return outbox.Result{Verdict: outbox.Retry, Err: fmt.Errorf("the hand-off webhook answered %d", s)}
	}
	return outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("the hand-off webhook answered %d: it refused the event", resp.StatusCode)}
}
