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

// pendingItem is one claimed item on its way into a bulk call.
type pendingItem struct {
	index int    // in the claimed batch
	key   string // recordKey of body: how Planhat's errors name it
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
	var batch []pendingItem
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
			r.upsertObjects(ctx, c, planhat.ModelConversation, []pendingItem{p}, true, res)
			continue
		}
		batch = append(batch, p)
	}
	if len(batch) > 0 {
		r.upsertObjects(ctx, c, planhat.ModelConversation, batch, false, res)
	}
	return res
}

// prepare builds one conversation's upsert item, resolving the end user's
// contact (and company) once per conversation.
func (r *Relay) prepare(ctx context.Context, c *planhat.Client, dest string, it store.Item) (pendingItem, *outbox.Result) {
	fail := func(v outbox.Verdict, err error) (pendingItem, *outbox.Result) {
		return pendingItem{}, &outbox.Result{Verdict: v, Err: err}
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
			return pendingItem{}, &v
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
	return pendingItem{key: recordKey(body), body: body}, nil
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
