package integrations

import (
	_ "embed"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/handoff"
)

//go:embed planfix_assets/icon.svg
var planfixIcon []byte

//go:embed planfix_assets/hub.md
var planfixReadme []byte

// HITLInterfaceVersion is the version of Botpress's hitl interface the
// planfix integration implements.
const HITLInterfaceVersion = "2.1.0"

// DefaultHITLInterfaceID stands in for the Hub's id of the hitl interface
// until the publisher resolves the real one (getPublicInterface, name
// "hitl", version HITLInterfaceVersion) and passes it to PlanfixDefinition.
const DefaultHITLInterfaceID = "hitl@" + HITLInterfaceVersion

// PlanfixEntity is the integration's entity bound to the interface's hitlSession.
const PlanfixEntity = "planfixTask"

// PlanfixDefinition builds the createIntegration body of the planfix
// integration: the HITL interface statement and its merged actions,
// events and hitl channel. url, when set, is where Botpress sends
// operations; interfaceID is the Hub's id of hitl 2.x (empty means
// DefaultHITLInterfaceID).
func PlanfixDefinition(url, interfaceID string) *botpress.Definition {
	if interfaceID == "" {
		interfaceID = DefaultHITLInterfaceID
	}
	obj := func(props map[string]any, required ...string) map[string]any { return objectSchema(props, required...) }
	str := stringProp
	session := obj(map[string]any{
		"priority": str("Priority", "The hand-off's priority (e.g. low, normal, high); sent to the Planfix task field the configuration's Task Fields maps \"priority\" to."),
		"taskFields": map[string]any{"type": "object", "title": "Task Fields", "description": "Values for Planfix task custom fields, by the fields' exact names; sent with the chat's first message.",
			"additionalProperties": map[string]any{"type": "string"}, "x-zui": map[string]any{"title": "Task Fields"}},
	})
	payload := func(props map[string]any, required ...string) *botpress.MessageDefinition {
		props["userId"] = str("User ID", "The Botpress user the message is sent as (set by the HITL plugin for the end user's messages).")
		props["additionalData"] = map[string]any{"type": "string", "maxLength": 500, "title": "Additional Data", "description": "Free data carried with the message (at most 500 characters).", "x-zui": map[string]any{"title": "Additional Data"}}
		return &botpress.MessageDefinition{Schema: obj(props, required...)}
	}
	url1 := func(title, desc string) map[string]any { p := str(title, desc); p["format"] = "uri"; return p }
	blocItem := map[string]any{"type": "object", "title": "Item", "description": "One part of the bloc: a type (text, image, audio, video, file) and its payload.",
		"x-zui": map[string]any{"title": "Item"},
		"properties": map[string]any{
			"type":    str("Type", "The part's message type."),
			"payload": map[string]any{"type": "object", "title": "Payload", "description": "The part's payload, as for a message of that type.", "x-zui": map[string]any{"title": "Payload"}},
		}}
	historyItem := map[string]any{"type": "object", "title": "Message", "description": "One message of the conversation before the hand-off.",
		"x-zui": map[string]any{"title": "Message"},
		"properties": map[string]any{
			"source": map[string]any{"type": "object", "title": "Source", "description": "Who wrote it: {type: user, userId} or {type: bot}.", "x-zui": map[string]any{"title": "Source"},
				"properties": map[string]any{
					"type":   str("Type", "user or bot."),
					"userId": str("User ID", "The end user's Botpress id, for user messages."),
				}},
			"type":    str("Type", "The message type (text, image, audio, video, file, bloc, …)."),
			"payload": map[string]any{"type": "object", "title": "Payload", "description": "The message's payload.", "x-zui": map[string]any{"title": "Payload"}},
		}}
	secret := func(title, desc string) map[string]any {
		p := str(title, desc)
		p["x-zui"].(map[string]any)["secret"] = true
		p["minLength"] = 1
		return p
	}
	cfg := obj(map[string]any{
		"endpointUrl":      url1("Planfix Endpoint URL", "The exact URL shown in Planfix under Account management > Integrations > Chats > Planfix API for chats, e.g. https://acme.planfix.com/webchat/api. Copy it as is: a custom domain redirects, and a redirected call is refused."),
		"planfixToken":     secret("Planfix Token", "The Planfix token shown next to the endpoint URL in the same window; planbridge sends it with every call to Planfix."),
		"providerId":       str("Provider ID", "The identifier of this bot in Planfix: the same value as in the chat's settings there (no \"~\"), e.g. botpress."),
		"chatToken":        secret("Chat Token", "A random string of at least 16 characters (e.g. from \"openssl rand -hex 24\") that you also enter as the chat's token in Planfix; Planfix sends it with every agent reply and others are refused."),
		"botEmployeeEmail": str("Bot Employee Email", "The email of the Planfix employee shown as the author of the bot's messages in the task (a dedicated \"bot\" employee is cleanest). Empty: Planfix's default for the integration."),
		"botName":          str("Bot Name", "The bot's name in the task's transcript (\"[Bot name] …\")."),
		"botAvatarUrl":     url1("Bot Avatar URL", "An https URL of the bot's picture, for its Botpress user."),
		"taskFields": map[string]any{"type": "object", "title": "Task Field Mapping", "description": "Maps hand-off fields (e.g. priority) to the exact names of Planfix task custom fields, e.g. {\"priority\": \"Priority\"}.",
			"additionalProperties": map[string]any{"type": "string"}, "x-zui": map[string]any{"title": "Task Field Mapping"}},
	}, "endpointUrl", "planfixToken", "providerId", "chatToken")
	return &botpress.Definition{
		Name:          PlanfixName,
		Version:       PlanfixVersion,
		Title:         "Planfix",
		Description:   "Hand conversations to people who answer inside Planfix tasks (Botpress's HITL interface over Planfix's chat API).",
		Icon:          planfixIcon,
		Readme:        planfixReadme,
		Attributes:    map[string]string{"category": "Customer Support", "repo": "planbridge"},
		URL:           url,
		Configuration: &botpress.ConfigurationDefinition{Schema: cfg},
		Entities:      map[string]*botpress.EntityDefinition{PlanfixEntity: {Title: "Planfix Task", Description: "The Planfix task a hand-off opens: its priority and custom fields.", Schema: session}},
		Actions: map[string]*botpress.ActionDefinition{
			"createUser": {Title: "Create User", Description: "Creates (or finds by email) the Botpress user of an end user for the hand-off, with a stable Planfix contact id.",
				Input: botpress.SchemaRef{Schema: obj(map[string]any{
					"name":       str("Name", "The end user's name, shown on the Planfix contact."),
					"pictureUrl": url1("Picture URL", "The end user's avatar URL."),
					"email":      str("Email", "The end user's email; the same email keeps the same Planfix contact."),
				}, "name")},
				Output: botpress.SchemaRef{Schema: obj(map[string]any{"userId": str("User ID", "The Botpress id of the end user's hand-off user.")}, "userId")}},
			"startHitl": {Title: "Start Hand-off", Description: "Opens a Planfix chat (a task) with the title, the description and the transcript of the conversation so far, and returns the hitl conversation.",
				Input: botpress.SchemaRef{Schema: obj(map[string]any{
					"userId":      str("User ID", "The user createUser returned."),
					"title":       str("Title", "The task's name in Planfix; sent once."),
					"description": str("Description", "What the customer needs; the first lines of the task."),
					"hitlSession": func() map[string]any {
						s := obj(session["properties"].(map[string]any))
						s["title"], s["description"], s["x-zui"] = "Planfix Task", "The task's priority and custom fields.", map[string]any{"title": "Planfix Task"}
						return s
					}(),
					"messageHistory": map[string]any{"type": "array", "title": "Message History", "description": "The conversation before the hand-off, oldest first; it becomes the task's transcript.",
						"items": historyItem, "x-zui": map[string]any{"title": "Message History"}},
				}, "userId")},
				Output: botpress.SchemaRef{Schema: obj(map[string]any{"conversationId": str("Conversation ID", "The hitl conversation in which the agent's replies arrive.")}, "conversationId")}},
			"stopHitl": {Title: "Stop Hand-off", Description: "Ends the hand-off from the bot's side and tells the agent in the Planfix task.",
				Input:  botpress.SchemaRef{Schema: obj(map[string]any{"conversationId": str("Conversation ID", "The hitl conversation startHitl returned.")}, "conversationId")},
				Output: botpress.SchemaRef{Schema: obj(map[string]any{})}},
		},
		Events: map[string]*botpress.EventDefinition{
			handoff.EventAssigned: {Title: "Agent Assigned", Description: "An agent took the conversation: emitted once, on the agent's first reply.",
				Schema: obj(map[string]any{"conversationId": str("Conversation ID", "The hitl conversation."), "userId": str("User ID", "The agent's Botpress user.")}, "conversationId", "userId")},
			handoff.EventStopped: {Title: "Hand-off Stopped", Description: "The agent completed the Planfix task: the bot takes the conversation back.",
				Schema: obj(map[string]any{"conversationId": str("Conversation ID", "The hitl conversation.")}, "conversationId")},
		},
		Channels: map[string]*botpress.ChannelDefinition{
			"hitl": {Title: "Hand-off", Description: "The conversation with the Planfix agent: end-user messages go to the task, the agent's replies come back.",
				Messages: map[string]*botpress.MessageDefinition{
					"text":  payload(map[string]any{"text": str("Text", "The message text.")}, "text"),
					"image": payload(map[string]any{"imageUrl": url1("Image URL", "A public URL of the image.")}, "imageUrl"),
					"audio": payload(map[string]any{"audioUrl": url1("Audio URL", "A public URL of the audio file.")}, "audioUrl"),
					"video": payload(map[string]any{"videoUrl": url1("Video URL", "A public URL of the video.")}, "videoUrl"),
					"file":  payload(map[string]any{"fileUrl": url1("File URL", "A public URL of the file."), "title": str("Title", "The file's name.")}, "fileUrl"),
					"bloc": payload(map[string]any{"items": map[string]any{"type": "array", "title": "Items", "description": "The parts of the message, in order.",
						"items": blocItem, "x-zui": map[string]any{"title": "Items"}}}, "items"),
				},
				Conversation: &botpress.TagsDefinition{Tags: map[string]*botpress.TagDefinition{
					handoff.TagChatID: {Title: "Planfix Chat ID", Description: "The Planfix chatId of the hand-off (Planfix shows it as a task)."},
				}},
				Message: &botpress.TagsDefinition{Tags: map[string]*botpress.TagDefinition{
					handoff.TagPlanfixMessageID: {Title: "Planfix Message ID", Description: "On agent replies: Planfix's messageId (\"/N\" added for the Nth attachment)."},
					handoff.TagPlanfixChatID:    {Title: "Planfix Chat", Description: "On end-user messages: the Planfix chat they were queued for."},
				}},
			},
		},
		User: &botpress.UserDefinition{Tags: map[string]*botpress.TagDefinition{
			handoff.TagEmail:     {Title: "Email", Description: "The end user's email."},
			handoff.TagContactID: {Title: "Planfix Contact ID", Description: "The stable contactId planbridge gives the end user in Planfix."},
			handoff.TagAgentID:   {Title: "Planfix Agent", Description: "On agents' users: which Planfix employee this is."},
		}},
		Interfaces: map[string]*botpress.InterfaceImplementation{
			"hitl<" + PlanfixEntity + ">": {ID: interfaceID, Name: "hitl", Version: HITLInterfaceVersion,
				Entities: map[string]botpress.NameRef{"hitlSession": {Name: PlanfixEntity}},
				Actions:  map[string]botpress.NameRef{"createUser": {Name: "createUser"}, "startHitl": {Name: "startHitl"}, "stopHitl": {Name: "stopHitl"}},
				Events:   map[string]botpress.NameRef{handoff.EventAssigned: {Name: handoff.EventAssigned}, handoff.EventStopped: {Name: handoff.EventStopped}},
				Channels: map[string]botpress.NameRef{"hitl": {Name: "hitl"}},
			},
		},
	}
}
