// Package planfix speaks Planfix's chat API ("API ПланФикса для чатов", the
// /webchat/api protocol) from the chat side, in both directions.
//
// Chat → Planfix: Client sends newMessage, getTask, getContact,
// updateContact and messageStatus as ordered application/x-www-form-urlencoded
// bodies (Form), never JSON, to the exact endpoint URL shown in Planfix's
// integration settings. Redirects are reported as configuration errors,
// never followed, because Go would turn the POST into a body-less GET.
//
// Planfix → chat: Handler checks the chat token in constant time (current
// and previous, for rotation), parses Planfix's newMessage in both variants
// (a reply into a chat, or a first message to a phone number) and hands it
// to a Receiver that must store it durably before the handler answers.
//
// Delivery is at least once in both directions: the client never retries
// (newMessage has no idempotency key; the caller's outbox decides with
// IsRetryable and NotDelivered), and receivers de-duplicate by MessageID.
package planfix
