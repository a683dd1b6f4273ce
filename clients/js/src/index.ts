// @confab/client: the confab messaging client.

export { createClient } from "./client.js";
export type { ClientEventName, ClientEvents, ClientOptions, ConfabClient, JoinResult, PresenceEvent, SendInput, SocketLike } from "./api.js";
export { ConfabError } from "./errors.js";
export { createRestClient } from "./rest.js";
export type {
  ConversationSummary,
  HistoryOptions,
  PathsWith,
  Project,
  Report,
  RequestOptions,
  ResponseOf,
  RestClient,
  RestOptions,
  Schemas,
  SearchHit,
  TokenSource,
} from "./rest.js";
export type * from "./events.js";
export type { components, paths } from "./generated/openapi.js";
