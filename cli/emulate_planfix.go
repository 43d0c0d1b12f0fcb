package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/planbridge/planbridge/planfix/planfixemu"
)

// emulatePlanfixCmd runs planfixemu standalone: a Planfix account with one
// chat integration whose agents reply through the /_emulator API.
type emulatePlanfixCmd struct {
	Addr            string        `name:"addr" default:"127.0.0.1:9200" help:"Address to listen on."`
	PlanfixToken    string        `name:"planfix-token" env:"PLANFIX_TOKEN" default:"planfix-test-token" help:"planfix_token the chat must send."`
	ProviderID      string        `name:"provider-id" env:"PLANFIX_PROVIDER_ID" default:"planbridge" help:"providerId of the integration (no \"~\")."`
	ChatURL         string        `name:"chat-url" help:"The chat's URL agents post replies to (e.g. http://127.0.0.1:8080/planfix/chat)."`
	ChatToken       string        `name:"chat-token" env:"PLANFIX_CHAT_TOKEN" default:"chat-test-token" help:"The chat's token sent with every agent reply."`
	IntegrationName string        `name:"integration-name" help:"Name used in task names and the integration field (default: the provider id)."`
	GetTaskShape    string        `name:"get-task-shape" default:"data-string" enum:"data-string,data-object,top-level" help:"Shape of getTask answers (data-string, data-object, top-level)."`
	NoNewTask       bool          `name:"no-new-task" help:"Keep appending to a closed task instead of opening a new one."`
	TaskNameSuffix  *string       `name:"task-name-suffix" placeholder:"SUFFIX" help:"Appended to task names (default: \" (WebChat, <integration name>)\"; \"\" for none)."`
	NoWriteButton   bool          `name:"no-write-button" help:"Hide the Write button: agents cannot write first (POST /_emulator/write-first is refused)."`
	ChatTimeout     time.Duration `name:"chat-timeout" default:"10s" help:"Timeout of each post to the chat URL."`
}

var planfixShapes = map[string]planfixemu.AnswerShape{
	"data-string": planfixemu.ShapeDataString,
	"data-object": planfixemu.ShapeDataObject,
	"top-level":   planfixemu.ShapeTopLevel,
}

func (c *emulatePlanfixCmd) Run(env *Env) error {
	if c.ProviderID == "" || strings.Contains(c.ProviderID, "~") {
		return fmt.Errorf("--provider-id %q: Planfix needs a non-empty identifier without \"~\"", c.ProviderID)
	}
	if c.PlanfixToken == "" {
		return fmt.Errorf("--planfix-token is empty: every call would be refused with 401; give the planfix_token your chat sends (or set PLANFIX_TOKEN)")
	}
	if c.ChatToken == "" {
		return fmt.Errorf("--chat-token is empty: agent replies would carry no token and the chat would refuse them; give the chat's token (or set PLANFIX_CHAT_TOKEN)")
	}
	if c.ChatURL != "" {
		if u, err := url.Parse(c.ChatURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--chat-url %q: give an absolute http(s) URL such as http://127.0.0.1:8080/planfix/chat", c.ChatURL)
		}
	}
	ln, err := listenTCP(c.Addr, "--addr")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	opts := []planfixemu.Option{
		planfixemu.WithBaseURL(base),
		planfixemu.WithPlanfixToken(c.PlanfixToken),
		planfixemu.WithProviderID(c.ProviderID),
		planfixemu.WithChat(c.ChatURL, c.ChatToken),
		planfixemu.WithIntegrationName(c.IntegrationName),
		planfixemu.WithGetTaskShape(planfixShapes[c.GetTaskShape]),
		planfixemu.WithCreateNewTaskIfNoActive(!c.NoNewTask),
		planfixemu.WithChatTimeout(c.ChatTimeout),
		planfixemu.WithLogger(env.Logger),
		planfixemu.WithShowWriteButton(!c.NoWriteButton),
	}
	// A pointer flag: an explicit --task-name-suffix "" (no suffix) is not
	// the default.
	if c.TaskNameSuffix != nil {
		opts = append(opts, planfixemu.WithTaskNameSuffix(*c.TaskNameSuffix))
	}
	srv := planfixemu.New(opts...)
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(env.Stdout, "Planfix emulator on %s\n  endpoint:    %s\n  providerId:  %s\n  chat URL:    %s\n  control API: POST %s/_emulator/reply {chatId|contactEmail,message,attachments}, POST %s/_emulator/close-task {chatId|contactEmail}, GET %s/_emulator/tasks\n",
		base, srv.Endpoint(), c.ProviderID, orNone(c.ChatURL), base, base, base)
	return serveUntilDone(env.Ctx, hs, ln, 5*time.Second, nil)
}

func orNone(s string) string {
	if s == "" {
		return "(none: set --chat-url to let agents reply)"
	}
	return s
}

// Help is the detailed help of `planbridge emulate planfix --help`.
func (c *emulatePlanfixCmd) Help() string {
	return faultsHelp + `

Faults apply to /webchat/api and its /custom-domain/webchat/api alias, answering
status faults with an HTML page as a proxy in front of Planfix does.`
}
