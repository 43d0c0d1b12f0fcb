package botpressemu_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"

	"github.com/planbridge/planbridge/botpress"
	"github.com/planbridge/planbridge/botpress/botpressemu"
)

// ticketIntegration opens a conversation and emits an event when called.
type ticketIntegration struct {
	botpress.UnimplementedIntegration
}

func (ticketIntegration) Action(ctx context.Context, req *botpress.Request, name string, input json.RawMessage) (any, error) {
	client, err := req.Client()
	if err != nil {
		return nil, err
	}
	conv, err := client.GetOrCreateConversation(ctx, botpress.GetOrCreateConversationInput{Channel: "hitl", Tags: map[string]string{"id": "T-1"}})
	if err != nil {
		return nil, err
	}
	if _, err := client.CreateEvent(ctx, botpress.CreateEventInput{Type: "hitlAssigned", ConversationID: conv.ID, Payload: map[string]string{"conversationId": conv.ID}}); err != nil {
		return nil, err
	}
	return map[string]string{"conversationId": conv.ID}, nil
}

func Example() {
	// The emulator: Runtime API + Botpress's side of the protocol.
	bp := botpressemu.New()
	bpSrv := httptest.NewServer(bp.Handler())
	bp.Attach(bpSrv.URL, bpSrv.Close)
	defer bp.Close()

	// The integration under test calls back into the emulator.
	integ := httptest.NewServer(botpress.NewHandler(ticketIntegration{}, botpress.HandlerOptions{
		Runtime: botpress.ClientOptions{BaseURL: bp.URL, Token: bp.Token},
	}))
	defer integ.Close()

	resp, err := bp.CallAction(context.Background(), integ.URL, map[string]string{"apiToken": "t"}, "startHitl", map[string]any{})
	if err != nil {
		fmt.Println(err)
		return
	}
	var out struct{ ConversationID string }
	if err := resp.Output(&out); err != nil {
		fmt.Println(err)
		return
	}
	conv, _ := bp.Conversation(out.ConversationID)
	fmt.Println(conv.Channel, conv.Tags["id"])
	for _, ev := range bp.Events() {
		fmt.Println(ev.Type, ev.ConversationID == out.ConversationID)
	}
	// Output:
	// hitl T-1
	// hitlAssigned true
}
