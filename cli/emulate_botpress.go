package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/planbridge/planbridge/botpress/botpressemu"
)

// emulateBotpressCmd runs the Botpress Cloud emulator standalone: the
// Runtime API, the webhook host and the /_emulator control API on one
// listener.
type emulateBotpressCmd struct {
	Addr             string `name:"addr" default:"127.0.0.1:9300" help:"Address to listen on."`
	Token            string `name:"token" env:"BP_TOKEN" default:"bp-test-token" help:"Bearer token the Runtime API accepts (give the integration the same BP_TOKEN)."`
	IntegrationURL   string `name:"integration-url" help:"URL of the integration server operations are sent to (e.g. http://127.0.0.1:8080/botpress/planhat)."`
	Configuration    string `name:"configuration" default:"{}" help:"Installation configuration as a JSON object (sent base64-encoded in x-bp-configuration)."`
	BotID            string `name:"bot-id" default:"bot_0001" help:"Bot id (x-bot-id)."`
	BotUserID        string `name:"bot-user-id" default:"user_bot_0001" help:"The bot's own user id (x-bot-user-id)."`
	IntegrationID    string `name:"integration-id" default:"intver_0001" help:"Installed integration id (x-integration-id)."`
	IntegrationAlias string `name:"integration-alias" default:"planhat" help:"Installation alias (x-integration-alias)."`
	WebhookID        string `name:"webhook-id" default:"wh_0001" help:"Installation webhook id (x-webhook-id)."`
	PublicURL        string `name:"public-url" help:"Base URL others reach the emulator at, used in webhook URLs (default http://ADDR)."`
}

func (c *emulateBotpressCmd) Run(env *Env) error {
	if !json.Valid([]byte(c.Configuration)) || len(c.Configuration) == 0 || c.Configuration[0] != '{' {
		return errors.New("--configuration must be a JSON object, e.g. '{\"apiToken\":\"...\"}'")
	}
	ln, err := listenTCP(c.Addr, "--addr")
	if err != nil {
		return err
	}
	srv := botpressemu.New(
		botpressemu.WithToken(c.Token),
		botpressemu.WithBot(c.BotID, c.BotUserID),
		botpressemu.WithIntegration(c.IntegrationID, c.IntegrationAlias),
		botpressemu.WithWebhookID(c.WebhookID),
		botpressemu.WithIntegrationURL(c.IntegrationURL),
		botpressemu.WithConfiguration(json.RawMessage(c.Configuration)),
		botpressemu.WithLogger(env.Logger),
	)
	srv.URL = "http://" + ln.Addr().String()
	if c.PublicURL != "" {
		srv.URL = c.PublicURL
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	info := srv.Info()
	fmt.Fprintf(env.Stdout, "Botpress emulator listening on http://%s\n", ln.Addr())
	fmt.Fprintf(env.Stdout, "  BP_API_URL=%s\n  webhook URL: %s\n  integration URL: %s\n", info.APIURL, info.WebhookURL, describeIntegrationURL(info.IntegrationURL))
	fmt.Fprintf(env.Stdout, "  control API: POST %s/_emulator/call {\"operation\":...,\"configuration\":{...},\"payload\":{...}}\n", info.APIURL)
	env.Logger.Info("botpress emulator started", "addr", ln.Addr().String(), "bot_id", c.BotID, "integration_id", c.IntegrationID)

	if err := serveUntilDone(env.Ctx, hs, ln, 5*time.Second, nil); err != nil {
		return fmt.Errorf("botpress emulator: %w", err)
	}
	return nil
}

// describeIntegrationURL says where operations go, or how to name a target.
func describeIntegrationURL(s string) string {
	if s == "" {
		return "(none; pass --integration-url or integrationUrl in each call)"
	}
	return s
}
