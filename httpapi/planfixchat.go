package httpapi

import (
	"context"
	"errors"
	"log/slog"

	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/planfix"
)

// PlanfixChatPath is where Planfix posts agents' replies when planbridge
// runs without Botpress in front: the chat URL of the server's own
// Planfix settings (PLANFIX_URL and friends).
const PlanfixChatPath = "/planfix/chat"

// PlanfixChatOptions configure the server's own Planfix chat endpoint.
type PlanfixChatOptions struct {
	// Engine stores and delivers the messages; required.
	Engine *handoff.Engine
	// Installation is the id of the server's installation (its sessions
	// are the only ones this endpoint accepts messages for); required.
	Installation string
	// ProviderID, when set, must match the providerId Planfix sends.
	ProviderID string
	// ChatTokens are the accepted chat tokens (PLANFIX_CHAT_TOKEN), current
	// first; at least one.
	ChatTokens []string
	// Logger receives refusals without secrets; nil discards.
	Logger *slog.Logger
}

// PlanfixChatDoor serves POST /planfix/chat: Planfix's newMessage for the
// server's own installation, the token checked in constant time, the
// message stored once by its messageId before the {chatId, contactId}
// answer, then delivered by the outbox.
func PlanfixChatDoor(opts PlanfixChatOptions) (Door, error) {
	if opts.Engine == nil || opts.Installation == "" {
		return Door{}, errors.New("httpapi: PlanfixChatOptions.Engine and Installation are required")
	}
	h, err := planfix.NewHandler(planfix.HandlerConfig{ProviderID: opts.ProviderID, Tokens: opts.ChatTokens, Logger: opts.Logger,
		Receiver: planfix.ReceiverFunc(func(ctx context.Context, msg *planfix.InboundMessage) (planfix.Ack, error) {
			return opts.Engine.ReceiveAgentMessage(ctx, opts.Installation, msg)
		})})
	if err != nil {
		return Door{}, err
	}
	return Door{
		Name: "planfix/chat",
		Hint: "Planfix posts to POST " + PlanfixChatPath,
		Routes: []Route{
			// The handler limits the body itself, so that every refusal is
			// in Planfix's own words ({"error":"Invalid token"} and the
			// like), not the REST error JSON.
			{Pattern: "POST " + PlanfixChatPath, Handler: h},
		},
		OpenAPIPaths: planfixChatPaths(),
	}, nil
}

// planfixChatPaths are the OpenAPI entries of POST /planfix/chat.
func planfixChatPaths() map[string]any {
	answer := func(desc string, example string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"type": "object"}, "example": example}}}
	}
	return map[string]any{PlanfixChatPath: map[string]any{"post": map[string]any{
		"operationId": "planfixChat",
		"summary":     "Planfix's calls to the chat",
		"description": "Planfix posts an agent's reply (cmd=newMessage) here when planbridge runs without Botpress in front; set this URL and PLANFIX_CHAT_TOKEN in Planfix's chat settings. The token is checked in constant time, a repeated messageId is answered without a second delivery, and the message is stored before the answer; it then reaches the hand-off's webhook (PLANBRIDGE_HANDOFF_WEBHOOK_URL).",
		"tags":        []string{"handoff"},
		"security":    []any{},
		"requestBody": map[string]any{"required": true, "content": map[string]any{"application/x-www-form-urlencoded": map[string]any{
			"schema": map[string]any{"type": "object", "required": []string{"cmd", "providerId", "chatId", "token"},
				"properties": map[string]any{
					"cmd":        map[string]any{"type": "string", "enum": []string{"newMessage"}},
					"providerId": map[string]any{"type": "string", "description": "PLANFIX_PROVIDER_ID."},
					"chatId":     map[string]any{"type": "string", "description": "The hand-off's chat, as planbridge opened it."},
					"token":      map[string]any{"type": "string", "description": "PLANFIX_CHAT_TOKEN."},
					"message":    map[string]any{"type": "string"},
					"messageId":  map[string]any{"type": "string", "description": "De-duplicates repeated deliveries."},
					"userName":   map[string]any{"type": "string"},
					"userIco":    map[string]any{"type": "string"},
				}}}}},
		"responses": map[string]any{
			"200": answer("Stored; the chat and contact ids.", `{"chatId":"pb-0123","contactId":"pb-4567"}`),
			"400": answer("Malformed command, a JSON body, or an unknown chat.", `{"error":"Invalid parameters"}`),
			"401": answer("Wrong chat token or providerId; nothing stored.", `{"error":"Invalid token"}`),
			"413": answer("The body exceeds the size limit.", `{"error":"Request body too large"}`),
			"503": answer("The store or the outbox cannot take the message now; Planfix retries.", `{"error":"Temporarily unavailable"}`),
		},
	}}}
}
