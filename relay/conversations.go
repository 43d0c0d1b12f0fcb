package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/planbridge/planbridge/outbox"
	"github.com/planbridge/planbridge/planhat"
	"github.com/planbridge/planbridge/store"
)

// noContact marks a conversation whose end user's email matched no
// Planhat contact when it was looked up.
const noContact = "-"

// pendingConversation is one claimed item on its way into a bulk call.
type pendingConversation struct {
	index int // in the claimed batch
	extID string
	body  planhat.Object
}

// deliverConversations upserts the batch's conversations in one bulk call
// (items that failed inside a batch before go alone, one call each), each
// with its transcript as stored now.
func (r *Relay) deliverConversations(ctx context.Context, dest string, items []store.Item) []outbox.Result {
	res := make([]outbox.Result, len(items))
	c, err := r.client(ctx, dest)
	if err != nil {
		return outbox.All(len(items), outbox.Result{Verdict: outbox.Retry, Err: err})
	}
	var batch []pendingConversation
	for i, it := range items {
		p, failed := r.prepare(ctx, c, dest, it)
		if failed != nil {
			res[i] = *failed
			if failed.Verdict == outbox.Snooze {
				// Planhat said wait: so does everything not sent yet.
				for _, q := range batch {
					res[q.index] = *failed
				}
				for j := i; j < len(items); j++ {
					res[j] = *failed
				}
				return res
			}
			continue
		}
		p.index = i
		if it.Alone {
			r.upsert(ctx, c, []pendingConversation{p}, true, res)
			continue
		}
		batch = append(batch, p)
	}
	if len(batch) > 0 {
		r.upsert(ctx, c, batch, false, res)
	}
	return res
}

// prepare builds one conversation's upsert item, resolving the end user's
// contact (and company) once per conversation.
func (r *Relay) prepare(ctx context.Context, c *planhat.Client, dest string, it store.Item) (pendingConversation, *outbox.Result) {
	fail := func(v outbox.Verdict, err error) (pendingConversation, *outbox.Result) {
		return pendingConversation{}, &outbox.Result{Verdict: v, Err: err}
	}
	var p conversationItem
	if err := json.Unmarshal(it.Payload, &p); err != nil || p.ConversationID == "" {
		return fail(outbox.Fail, fmt.Errorf("unreadable conversation item: %v", err))
	}
	conv, err := r.st.Conversation(ctx, dest, p.ConversationID)
	if errors.Is(err, store.ErrNotFound) {
		return fail(outbox.Fail, fmt.Errorf("conversation %q is no longer stored (pruned?)", p.ConversationID))
	}
	if err != nil {
		return fail(outbox.Retry, err)
	}
	if conv.EndUserEmail != "" && conv.EndUserID == "" {
		eu, err := c.FindEndUserByEmail(ctx, conv.EndUserEmail)
		switch {
		case err == nil:
			conv.EndUserID = eu.ID
			if conv.CompanyID == "" {
				conv.ResolvedCompanyID = eu.CompanyID
			}
			if err := r.st.SetConversationContact(ctx, dest, conv.ID, eu.ID, conv.ResolvedCompanyID); err != nil {
				return fail(outbox.Retry, err)
			}
		case errors.Is(err, planhat.ErrNotFound):
			if conv.CompanyID == "" {
				return fail(outbox.Retry, fmt.Errorf("no Planhat contact has the email %q, so the conversation has no company: create the contact, or log the conversation with companyId", conv.EndUserEmail))
			}
			// Remembered, so later flushes of this conversation spend no
			// call on a contact that is not there.
			if err := r.st.SetConversationContact(ctx, dest, conv.ID, noContact, ""); err != nil {
				return fail(outbox.Retry, err)
			}
			conv.EndUserID = noContact
		default:
			v := verdictFor(err)
			return pendingConversation{}, &v
		}
	}
	company := conv.CompanyID
	if company == "" {
		company = conv.ResolvedCompanyID
	}
	if company == "" {
		return fail(outbox.Retry, fmt.Errorf("the contact %q belongs to no company in Planhat: assign one, or log the conversation with companyId", conv.EndUserEmail))
	}
	msgs, err := r.st.Messages(ctx, dest, conv.ID, transcriptMessages)
	if err != nil {
		return fail(outbox.Retry, err)
	}
	ext := r.opts.ExternalIDPrefix + conv.ID
	body := planhat.Object{
		"externalId":  ext,
		"type":        r.opts.ConversationType,
		"companyId":   company,
		"subject":     subject(conv),
		"description": transcript(conv, msgs, r.opts.MaxTranscriptBytes),
		"snippet":     snippetOf(msgs),
	}
	if len(msgs) > 0 {
		body["date"] = planhat.NewTime(messageTime(msgs[0]))
	}
	if conv.EndUserID != "" && conv.EndUserID != noContact {
		body["endusers"] = []string{conv.EndUserID}
	}
	return pendingConversation{extID: ext, body: body}, nil
}

// upsert sends the conversations in one bulk upsert and sorts out which
// failed: an item Planhat refused is isolated (or dead when it already
// went alone), with Planhat's reason.
func (r *Relay) upsert(ctx context.Context, c *planhat.Client, batch []pendingConversation, alone bool, res []outbox.Result) {
	objs := make([]planhat.Object, len(batch))
	for i, p := range batch {
		objs[i] = p.body
	}
	_, err := c.Objects(planhat.ModelConversation).BulkUpsert(ctx, objs)
	var be *planhat.BulkError
	if err != nil && !errors.As(err, &be) {
		v := verdictFor(err)
		for _, p := range batch {
			res[p.index] = v
		}
		return
	}
	failed := map[string]string{}
	unattributed := ""
	if be != nil {
		for _, l := range [][]planhat.BulkItemError{be.Result.CreatedErrors, be.Result.UpdatedErrors, be.Result.PermissionErrors} {
			for _, e := range l {
				ext := echoedExternalID(e.Item)
				if ext == "" && len(batch) == 1 {
					ext = batch[0].extID
				}
				if ext == "" {
					unattributed = e.Message
					continue
				}
				failed[ext] = e.Message
			}
		}
	}
	for _, p := range batch {
		msg, bad := failed[p.extID]
		switch {
		case bad && alone:
			res[p.index] = outbox.Result{Verdict: outbox.Fail, Err: fmt.Errorf("Planhat refused the conversation: %s", msg)}
		case bad:
			res[p.index] = outbox.Result{Verdict: outbox.Isolate, Err: fmt.Errorf("Planhat refused the conversation in a bulk call: %s", msg)}
		case unattributed != "":
			// Planhat did not say which item failed: every item goes
			// alone next time, which tells them apart.
			res[p.index] = outbox.Result{Verdict: outbox.Isolate, Err: fmt.Errorf("an item of the bulk call failed: %s", unattributed)}
		default:
			res[p.index] = outbox.Result{Verdict: outbox.Delivered}
		}
	}
}

func echoedExternalID(item json.RawMessage) string {
	var o struct {
		ExternalID string `json:"externalId"`
	}
	if len(item) == 0 || json.Unmarshal(item, &o) != nil {
		return ""
	}
	return o.ExternalID
}

func subject(c store.Conversation) string {
	if c.Subject != "" {
		return c.Subject
	}
	if c.BotName != "" {
		return "Chat with " + c.BotName
	}
	return "Chat with the bot"
}

func messageTime(m store.Message) time.Time {
	if !m.Time.IsZero() {
		return m.Time
	}
	return m.ReceivedAt
}

// speaker names a message's author in the transcript.
func speaker(c store.Conversation, m store.Message) string {
	switch Author(m.Author) {
	case AuthorUser:
		if name := firstNonEmpty(m.Name, c.EndUserName, c.EndUserEmail); name != "" {
			return name
		}
		return "User"
	case AuthorBot:
		if name := firstNonEmpty(m.Name, c.BotName); name != "" {
			return name + " (bot)"
		}
		return "Bot"
	default:
		if m.Name != "" {
			return m.Name + " (agent)"
		}
		return "Agent"
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// transcript renders the messages as HTML paragraphs, newest last, keeping
// the newest part within limit bytes and saying how many earlier messages
// were left out.
func transcript(c store.Conversation, msgs []store.Message, limit int) string {
	lines := make([]string, len(msgs))
	for i, m := range msgs {
		lines[i] = fmt.Sprintf("<p><b>%s</b> <i>%s</i><br>%s</p>", html.EscapeString(speaker(c, m)),
			messageTime(m).UTC().Format("2006-01-02 15:04:05Z"), strings.ReplaceAll(html.EscapeString(m.Text), "\n", "<br>"))
	}
	omitted := c.Messages - len(msgs)
	notice := func(n int) string {
		return fmt.Sprintf("<p><i>[%d earlier messages are not shown: the transcript keeps the newest part]</i></p>", n)
	}
	size := 0
	first := len(lines)
	for first > 0 {
		l := len(lines[first-1])
		reserve := 0
		if first-1 > 0 || omitted > 0 {
			reserve = len(notice(omitted + first))
		}
		if size+l+reserve > limit {
			break
		}
		size += l
		first--
	}
	if first == len(lines) && len(lines) > 0 {
		// Even the newest message alone is too long: keep its end.
		last := lines[len(lines)-1]
		cut := len(last) - (limit - len(notice(omitted+len(lines)-1)) - 20)
		for cut < len(last) && !isRuneStart(last[cut]) {
			cut++
		}
		return notice(omitted+len(lines)-1) + "<p>…" + last[min(max(cut, 0), len(last)):]
	}
	var b strings.Builder
	if omitted+first > 0 {
		b.WriteString(notice(omitted + first))
	}
	for _, l := range lines[first:] {
		b.WriteString(l)
	}
	return b.String()
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// snippetOf is the newest user message, else the newest message, cut to 200 characters.
func snippetOf(msgs []store.Message) string {
	pick := ""
	for i := len(msgs) - 1; i >= 0; i-- {
		if pick == "" {
			pick = msgs[i].Text
		}
		if Author(msgs[i].Author) == AuthorUser {
			pick = msgs[i].Text
			break
		}
	}
	if r := []rune(pick); len(r) > 200 {
		return string(r[:199]) + "…"
	}
	return pick
}
