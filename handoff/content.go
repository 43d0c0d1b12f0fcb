package handoff

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/planbridge/planbridge/planfix"
)

// part is one Botpress message of an agent's reply.
type part struct {
	Type    string
	Payload map[string]any
}

// agentParts turns an agent's reply into Botpress messages: the text, then
// one media message per attachment, typed by its file name (image, audio,
// video, or file), so the end user sees a picture, not a bare link.
func agentParts(m *planfix.InboundMessage) []part {
	var out []part
	if t := strings.TrimSpace(m.Text); t != "" {
		out = append(out, part{"text", map[string]any{"text": t}})
	}
	for _, a := range m.Attachments {
		name := a.Name
		if name == "" {
			name = nameOf(a.URL)
		}
		switch MediaType(name) {
		case "image":
			out = append(out, part{"image", map[string]any{"imageUrl": a.URL}})
		case "audio":
			out = append(out, part{"audio", map[string]any{"audioUrl": a.URL}})
		case "video":
			out = append(out, part{"video", map[string]any{"videoUrl": a.URL}})
		default:
			out = append(out, part{"file", map[string]any{"fileUrl": a.URL, "title": name}})
		}
	}
	if len(out) == 0 {
		out = append(out, part{"text", map[string]any{"text": "…"}})
	}
	return out
}

// MediaType is the Botpress message type of a file by its extension:
// image, audio, video or file.
func MediaType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg", ".heic":
		return "image"
	case ".mp3", ".ogg", ".oga", ".wav", ".m4a", ".aac", ".opus", ".flac":
		return "audio"
	case ".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v":
		return "video"
	}
	return "file"
}

func nameOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if b := path.Base(u.Path); b != "." && b != "/" {
			return b
		}
	}
	return "file"
}

// agentKey identifies an agent across replies: Planfix sends no employee
// id, but its avatar URL carries one (…getuserpic&id=77); otherwise the name.
func agentKey(m *planfix.InboundMessage) string {
	if u, err := url.Parse(m.UserIco); err == nil && m.UserIco != "" {
		if id := u.Query().Get("id"); id != "" {
			return "planfix-user:" + id
		}
	}
	if n := strings.ToLower(agentName(m)); n != "" {
		return "planfix-name:" + n
	}
	return "planfix-agent"
}

func agentName(m *planfix.InboundMessage) string {
	if a := m.Author(); a != "" {
		return a
	}
	return "Planfix agent"
}

// BotpressContent is the text and attachments of a Botpress message
// payload of any hitl type (text, image, audio, video, file, bloc, and the
// markdown and card types a transcript may hold).
func BotpressContent(typ string, payload json.RawMessage) (string, []planfix.Attachment) {
	var p map[string]any
	_ = json.Unmarshal(payload, &p)
	return content(typ, p)
}

func content(typ string, p map[string]any) (string, []planfix.Attachment) {
	str := func(k string) string { s, _ := p[k].(string); return s }
	att := func(urlKey string) []planfix.Attachment {
		u := str(urlKey)
		if u == "" {
			return nil
		}
		return []planfix.Attachment{{Name: firstNonEmpty(str("title"), str("name"), nameOf(u)), URL: u}}
	}
	switch typ {
	case "text":
		return str("text"), nil
	case "markdown":
		return str("markdown"), nil
	case "image":
		return str("caption"), att("imageUrl")
	case "audio":
		return str("caption"), att("audioUrl")
	case "video":
		return str("caption"), att("videoUrl")
	case "file":
		return str("caption"), att("fileUrl")
	case "bloc":
		var texts []string
		var atts []planfix.Attachment
		items, _ := p["items"].([]any)
		for _, raw := range items {
			it, _ := raw.(map[string]any)
			t, _ := it["type"].(string)
			ip, _ := it["payload"].(map[string]any)
			txt, a := content(t, ip)
			if strings.TrimSpace(txt) != "" {
				texts = append(texts, txt)
			}
			atts = append(atts, a...)
		}
		return strings.Join(texts, "\n"), atts
	case "location":
		return fmt.Sprintf("📍 %v, %v %s", p["latitude"], p["longitude"], str("title")), nil
	}
	for _, k := range []string{"text", "title", "markdown"} {
		if s := str(k); s != "" {
			return s, nil
		}
	}
	return "[" + typ + "]", nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// Turn is one message of a transcript.
type Turn struct {
	// Bot is true for the bot's messages, false for the end user's.
	Bot  bool
	Text string
	// Attachments are listed by name and URL.
	Attachments []planfix.Attachment
}

// Transcript renders the description and the bot conversation before the
// hand-off as the opening message of the task, each turn labelled with
// who wrote it.
func Transcript(description, userName, botName string, turns []Turn) string {
	var b strings.Builder
	if d := strings.TrimSpace(description); d != "" {
		b.WriteString(d)
		b.WriteString("\n\n")
	}
	if len(turns) > 0 {
		b.WriteString("— Conversation with the bot before the hand-off —\n")
		for _, t := range turns {
			who := firstNonEmpty(userName, "Customer")
			if t.Bot {
				who = firstNonEmpty(botName, "Bot")
			}
			text := strings.TrimSpace(t.Text)
			for _, a := range t.Attachments {
				text = strings.TrimSpace(text + "\n📎 " + a.Name + " [ " + a.URL + " ]")
			}
			fmt.Fprintf(&b, "[%s] %s\n", who, text)
		}
	}
	return strings.TrimSpace(b.String())
}
