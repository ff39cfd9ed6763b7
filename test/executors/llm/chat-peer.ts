// A local peer speaking the OpenAI chat-completions protocol: JSON answers and server-sent-event
// streams, built on the shared local HTTP server so every request is recorded.
import type { ServerResponse } from "node:http";
import { sendJson } from "../../net/local-http-server.js";

export function completion(content: string, usage = { prompt_tokens: 12, completion_tokens: 5 }, model = "test-model") {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

export function answer(res: ServerResponse, content: string, usage?: { prompt_tokens: number; completion_tokens: number }): void {
  sendJson(res, 200, completion(content, usage));
}

/** Streams `pieces` as chat.completion.chunk events, then the usage chunk and `[DONE]`. */
export function stream(res: ServerResponse, pieces: string[], usage = { prompt_tokens: 9, completion_tokens: 3 }): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const event = (value: unknown) => res.write(`data: ${JSON.stringify(value)}\n\n`);
  event({ object: "chat.completion.chunk", model: "stream-model", choices: [{ index: 0, delta: { role: "assistant" }, finish_reason: null }] });
  for (const piece of pieces) event({ object: "chat.completion.chunk", model: "stream-model", choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
  event({ object: "chat.completion.chunk", model: "stream-model", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
  event({ object: "chat.completion.chunk", model: "stream-model", choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
  res.end("data: [DONE]\n\n");
}

export function providerError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message, type: "invalid_request_error" } }, headers);
}
