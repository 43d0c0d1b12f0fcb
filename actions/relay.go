package actions

import (
	"context"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/planbridge/planbridge/relay"
)

// LogConversationInput is the logConversation input.
type LogConversationInput struct {
	ConversationID string            `json:"conversationId" jsonschema:"The bot's conversation id; every call with the same id adds to the same Planhat conversation."`
	CompanyID      string            `json:"companyId,omitempty" jsonschema:"The company the conversation belongs to: its Planhat _id, extid-<externalId> or srcid-<sourceId>. Optional when endUserEmail names a contact whose company Planhat knows."`
	EndUserEmail   string            `json:"endUserEmail,omitempty" jsonschema:"The end user's email: links the conversation to that Planhat contact and counts it as the contact's engagement."`
	EndUserName    string            `json:"endUserName,omitempty" jsonschema:"The end user's name, shown in the transcript."`
	BotName        string            `json:"botName,omitempty" jsonschema:"The bot's name, shown in the transcript and the default subject."`
	Subject        string            `json:"subject,omitempty" jsonschema:"The conversation's subject in Planhat (default: Chat with <botName>)."`
	Messages       []LogMessageInput `json:"messages" jsonschema:"The new messages of the conversation, oldest first, 1 to 500 per call."`
}

// LogMessageInput is one message to log.
type LogMessageInput struct {
	ID     string `json:"id,omitempty" jsonschema:"The bot's message id; a message whose id was logged before is skipped, so retrying a call never doubles it."`
	Author string `json:"author" jsonschema:"Who wrote it: user, bot or agent."`
	Text   string `json:"text" jsonschema:"The message's text."`
	Time   string `json:"time,omitempty" jsonschema:"When it was sent, RFC 3339; default when planbridge received it."`
	Name   string `json:"name,omitempty" jsonschema:"The author's display name."`
}

// LogConversationOutput is the logConversation result.
type LogConversationOutput struct {
	Accepted   int  `json:"accepted" jsonschema:"How many messages are stored (new ones and ones logged before)."`
	Duplicates int  `json:"duplicates" jsonschema:"How many messages were already logged (same id) and skipped."`
	Queued     bool `json:"queued" jsonschema:"Always true: the messages are stored durably and the outbox delivers the conversation to Planhat in bulk within seconds."`
	Engagement bool `json:"engagement" jsonschema:"Whether the conversation was also counted as the end user's activity (needs endUserEmail and the tenant token)."`
}

func logConversationAction() *Action {
	a := NewWith("logConversation", "Log Conversation",
		"Logs a bot conversation in Planhat: one Planhat conversation per bot conversation (upserted by externalId, so later calls update it and "+
			"retries never duplicate it) on the right company, linked to the end user, with the transcript in its description. Call it after each "+
			"turn with the new messages. The answer comes as soon as the messages are stored durably; planbridge delivers them in bulk within "+
			"Planhat's rate limit, so logging never slows the bot down. With endUserEmail the conversation also counts as the contact's engagement.",
		NeedPlanhat|NeedRelay,
		func(ctx context.Context, d Deps, in LogConversationInput) (LogConversationOutput, error) {
			conv := relay.Conversation{ID: in.ConversationID, CompanyID: in.CompanyID, EndUserEmail: in.EndUserEmail,
				EndUserName: in.EndUserName, BotName: in.BotName, Subject: in.Subject, Messages: make([]relay.Message, len(in.Messages))}
			for i, m := range in.Messages {
				t, err := parseTime(fmt.Sprintf("messages[%d].time", i), m.Time)
				if err != nil {
					return LogConversationOutput{}, err
				}
				conv.Messages[i] = relay.Message{ID: m.ID, Author: relay.Author(m.Author), Name: m.Name, Text: m.Text, Time: t}
			}
			logged, err := d.Relay.LogConversation(ctx, d.Planhat, conv)
			if err != nil {
				return LogConversationOutput{}, err
			}
			return LogConversationOutput{Accepted: logged.Accepted, Duplicates: logged.Duplicates, Queued: true, Engagement: logged.Engagement}, nil
		}, InGroup("Conversations"))
	p := a.Input.Properties
	p["conversationId"].MinLength, p["conversationId"].MaxLength = jsonschema.Ptr(1), jsonschema.Ptr(200)
	p["endUserEmail"].Format = "email"
	msgs := p["messages"]
	msgs.MinItems, msgs.MaxItems = jsonschema.Ptr(1), jsonschema.Ptr(relay.MaxMessages)
	mp := msgs.Items.Properties
	mp["author"].Enum = []any{"user", "bot", "agent"}
	mp["text"].MinLength = jsonschema.Ptr(1)
	mp["time"].Format = "date-time"
	return a
}
