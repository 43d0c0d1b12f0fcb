package cli

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/planbridge/planbridge/handoff"
	"github.com/planbridge/planbridge/store"
)

// minSecretLen is the shortest chat token or webhook secret serve accepts:
// each is all that stands between the Internet and a conversation.
const minSecretLen = 16

// planfixFlags are the server's own Planfix settings: the hand-off for bots
// that are not Botpress (the REST door) and Planfix's calls to
// POST /planfix/chat. They are the operator's, so their URLs are trusted.
type planfixFlags struct {
	PlanfixURL        string `name:"planfix-url" env:"PLANFIX_URL" help:"The Planfix chat API URL from Planfix's chat settings (e.g. https://acme.planfix.com/webchat/api); enables POST /planfix/chat and the /v1/handoffs door."`
	PlanfixToken      string `name:"planfix-token" env:"PLANFIX_TOKEN" help:"The Planfix token shown next to that URL. Prefer the environment variable."`
	PlanfixProviderID string `name:"planfix-provider-id" env:"PLANFIX_PROVIDER_ID" help:"The provider id entered in Planfix's chat settings (no '~')."`
	PlanfixChatToken  string `name:"planfix-chat-token" env:"PLANFIX_CHAT_TOKEN" help:"The token Planfix sends to POST /planfix/chat (at least 16 characters; enter the same in Planfix). Prefer the environment variable."`
	PlanfixBotEmail   string `name:"planfix-bot-email" env:"PLANFIX_BOT_EMAIL" help:"Email of the Planfix employee who authors the bot's messages in tasks (optional)."`
	WebhookURL        string `name:"handoff-webhook-url" env:"PLANBRIDGE_HANDOFF_WEBHOOK_URL" help:"Where agents' replies and hand-off events are posted, signed (required with PLANFIX_URL for the /v1/handoffs door)."`
	WebhookSecret     string `name:"handoff-webhook-secret" env:"PLANBRIDGE_HANDOFF_WEBHOOK_SECRET" help:"The HMAC-SHA256 key of the webhook's X-Planbridge-Signature (at least 16 characters). Prefer the environment variable."`
}

// installation is the server's own hand-off installation, or ok false
// when PLANFIX_URL is not set. Every error names the setting to fix.
func (f *planfixFlags) installation() (in store.HandoffInstallation, ok bool, err error) {
	f.PlanfixURL, f.PlanfixToken = strings.TrimSpace(f.PlanfixURL), strings.TrimSpace(f.PlanfixToken)
	f.PlanfixProviderID, f.PlanfixChatToken = strings.TrimSpace(f.PlanfixProviderID), strings.TrimSpace(f.PlanfixChatToken)
	f.WebhookURL, f.WebhookSecret = strings.TrimSpace(f.WebhookURL), strings.TrimSpace(f.WebhookSecret)
	if f.PlanfixURL == "" {
		var set []string
		for name, v := range map[string]string{"PLANFIX_TOKEN": f.PlanfixToken, "PLANFIX_PROVIDER_ID": f.PlanfixProviderID, "PLANFIX_CHAT_TOKEN": f.PlanfixChatToken,
			"PLANBRIDGE_HANDOFF_WEBHOOK_URL": f.WebhookURL} {
			if v != "" {
				set = append(set, name)
			}
		}
		if len(set) > 0 {
			return in, false, fmt.Errorf("%s set without PLANFIX_URL: set PLANFIX_URL (--planfix-url) to the Planfix chat API URL from Planfix's chat settings, or unset them", strings.Join(slices.Sorted(slices.Values(set)), ", "))
		}
		return in, false, nil
	}
	u, perr := url.Parse(f.PlanfixURL)
	switch {
	case perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return in, false, errors.New("PLANFIX_URL (--planfix-url) is not an http(s) URL: copy the URL from Planfix's chat settings exactly, e.g. https://acme.planfix.com/webchat/api")
	case f.PlanfixToken == "":
		return in, false, errors.New("PLANFIX_URL is set but PLANFIX_TOKEN is empty: copy the Planfix token shown next to the URL in Planfix's chat settings")
	case f.PlanfixProviderID == "":
		return in, false, errors.New("PLANFIX_URL is set but PLANFIX_PROVIDER_ID is empty: set it to the provider id entered in Planfix's chat settings (e.g. planbridge)")
	case strings.Contains(f.PlanfixProviderID, "~"):
		return in, false, errors.New("PLANFIX_PROVIDER_ID contains '~', which Planfix forbids: choose one without it, here and in Planfix")
	case len(f.PlanfixChatToken) < minSecretLen:
		return in, false, fmt.Errorf("PLANFIX_CHAT_TOKEN must be at least %d characters (it is %d): generate one (openssl rand -hex 24) and enter it here and as the chat's token in Planfix", minSecretLen, len(f.PlanfixChatToken))
	}
	if f.WebhookURL != "" {
		w, werr := url.Parse(f.WebhookURL)
		if werr != nil || (w.Scheme != "https" && w.Scheme != "http") || w.Host == "" {
			return in, false, errors.New("PLANBRIDGE_HANDOFF_WEBHOOK_URL (--handoff-webhook-url) is not an http(s) URL: set it to your bot's endpoint for hand-off events")
		}
		if len(f.WebhookSecret) < minSecretLen {
			return in, false, fmt.Errorf("PLANBRIDGE_HANDOFF_WEBHOOK_SECRET must be at least %d characters (it is %d): generate one (openssl rand -hex 24) and give it to the webhook's receiver to check signatures", minSecretLen, len(f.WebhookSecret))
		}
	}
	in = store.HandoffInstallation{ID: handoff.ServerInstallationID(f.PlanfixURL, f.PlanfixProviderID),
		Endpoint: f.PlanfixURL, PlanfixToken: f.PlanfixToken, ProviderID: f.PlanfixProviderID, UserEmail: strings.TrimSpace(f.PlanfixBotEmail),
		WebhookURL: f.WebhookURL, WebhookSecret: f.WebhookSecret}
	return in, true, nil
}
