/**
 * The typing that ties handlers to openapi.yaml: per operationId, the validated input a handler
 * gets and the answers it may give (generated types, nothing written by hand).
 */
import type { operations } from '../generated/api.js';
import type { AuthContext, ClientInfo } from './caller.js';

/** Every operationId of openapi.yaml. */
export type OperationId = keyof operations;

type JsonContent<T> = T extends { content: { 'application/json': infer B } } ? B : undefined;
/** The body of a response, whatever its media type (JSON, or text for /metrics). */
type Content<T> = T extends { content: infer C } ? C[keyof C] : undefined;
type Defined<T> = Exclude<T, undefined>;

export type RequestBody<K extends OperationId> = JsonContent<Defined<operations[K]['requestBody']>>;
export type QueryParams<K extends OperationId> = Defined<operations[K]['parameters']['query']>;
export type PathParams<K extends OperationId> = Defined<operations[K]['parameters']['path']>;

type Responses<K extends OperationId> = operations[K]['responses'];
type NonErrorStatus<K extends OperationId> = Extract<keyof Responses<K>, 200 | 201 | 202 | 204 | 304>;

/**
 * A body already serialised to JSON bytes, for answers served many times unchanged; typed by
 * the value it was made from so it still has to match the spec.
 */
export class RawJson<T> {
  declare private readonly shape: T;
  constructor(readonly bytes: Buffer) {}
}

/** What a handler answers: one of the operation's documented non-error statuses, with its body type. */
export type Reply<K extends OperationId> = {
  [S in NonErrorStatus<K>]: {
    status: S;
    body: Content<Responses<K>[S]> | RawJson<Content<Responses<K>[S]>>;
    headers?: Record<string, string>;
  };
}[NonErrorStatus<K>];

/** The validated request as a handler sees it. */
export interface HandlerInput<K extends OperationId> {
  body: RequestBody<K>;
  query: QueryParams<K>;
  params: PathParams<K>;
  headers: Record<string, string | string[] | undefined>;
  /** The authenticated caller; reading it on an operation without a token answers 401. */
  auth: AuthContext;
  /** The caller, on operations where a token is optional. */
  maybeAuth: AuthContext | undefined;
  client: ClientInfo;
}

export type Handler<K extends OperationId> = (input: HandlerInput<K>) => Promise<Reply<K>>;

/** One handler per operationId: a missing or misspelt one fails to compile. */
export type HandlerMap = { [K in OperationId]: Handler<K> };
