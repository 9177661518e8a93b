// An inbound protocol: one wire format clients speak to the gateway (OpenAI
// chat completions, legacy completions and embeddings in chat/; Anthropic
// Messages and OpenAI Responses next, each in a folder of its own). The
// request lifecycle in gateway/ is the same for every protocol; its adapter
// knows its format and nothing else:
//   - where it is served and how a request is checked (paths, validate)
//   - the texts of a request and of an answer, written back 1:1 (texts)
//   - how a deployment is called and what its usage was (call, usage)
//   - its stream: reading and rebuilding events for post_call guardrails,
//     framing, usage, how to call a deployment for one (stream)
//   - what the client gets for an error, a refusal, a stream that fails
//     (answers)
// Whether a guardrail's block becomes a refusal or the error is decided in one
// place (guardrails/outcome.ts); the adapter only gives each its shape.
import type { GatewayError } from '../errors.ts'
import type { StreamEvents, TextCodec } from '../guardrails/formats.ts'
import type { CallType } from '../guardrails/types.ts'
import type { JsonObject } from '../json.ts'
import type { CallOptions, Deployment, Provider } from '../providers/types.ts'

/** A call's tokens as its upstream reported them. */
export interface TokenUsage {
  prompt: number
  completion: number
}

/** What every protocol's request names: the model group it asks for. */
export interface ModelRequest extends JsonObject {
  model: string
}

/** What a client of the protocol gets for an error: before its answer started, and once a stream is under way. */
export interface ErrorAnswers {
  /** the JSON body of an error answer (its HTTP status is the error's) */
  errorBody(err: GatewayError): object
  /** the bytes that end a stream failing after its first byte */
  streamError(err: GatewayError): string
}

/** A guardrail's refusal in the protocol's shape: a normal answer whose text is the refusal. */
export interface RefusalAnswers<Req, Answer, Event> {
  /** the whole answer, when no model was asked (pre_call, during_call) */
  answer(req: Req, text: string): Answer
  /** the same as a stream */
  stream(req: Req, text: string): AsyncIterable<Event>
  /** a model's answer with every choice replaced by the refusal (post_call) */
  replace(answer: Answer, text: string): Answer
}

export interface ClientAnswers<Req, Answer, Event> extends ErrorAnswers {
  /** absent when the protocol has no text answer to refuse with (embeddings): a block is then always the error */
  refusal?: RefusalAnswers<Req, Answer, Event>
}

/** A protocol's streams. The refusal that ends a stream under way is StreamEvents.refusal. */
export interface StreamFormat<Req, Event> extends StreamEvents<Event> {
  /** the request asks for a stream */
  requested(req: Req): boolean
  /** what the upstream is sent for a stream (spend needs the tokens of every stream: it asks for usage) */
  upstreamRequest(req: Req): Req
  /** the client itself asked for the usage event (otherwise the gateway keeps it to itself) */
  wantsUsage(req: Req): boolean
  /** the tokens of an event that carries only usage */
  usage(ev: Event): TokenUsage | undefined
  /** the event shows the upstream stream really flowing: content, a tool call, a finish reason or usage */
  carries(ev: Event): boolean
  /** one event as SSE bytes */
  frame(ev: Event): string
  /** the bytes after the last event */
  readonly done: string
  /** calls a deployment for a stream; resolves once the upstream accepted the call */
  call(p: Provider, d: Deployment, req: Req, opts: CallOptions): Promise<AsyncIterable<Event>>
}

export interface InboundProtocol<Req extends ModelRequest, Answer extends JsonObject, Event extends JsonObject> {
  /** the route label of logs, metrics and call records */
  readonly route: string
  /** the paths it is served on (POST) */
  readonly paths: readonly string[]
  /** what guardrails are told the call is (GuardContext.callType) */
  readonly callType: CallType
  /** the request, checked; a GatewayError (400) naming the first problem otherwise */
  validate(body: unknown): Req
  readonly texts: TextCodec<Req, Answer>
  /** calls a deployment for a JSON answer */
  call(p: Provider, d: Deployment, req: Req, opts: CallOptions): Promise<Answer>
  usage(answer: Answer): TokenUsage | undefined
  /** absent when the protocol does not stream (embeddings) */
  readonly stream: StreamFormat<Req, Event> | undefined
  readonly answers: ClientAnswers<Req, Answer, Event>
}

/** Any protocol, as the HTTP layer serves it. */
export type AnyProtocol = InboundProtocol<ModelRequest, JsonObject, JsonObject>
