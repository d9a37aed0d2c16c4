/** Ids as a dependency, so tests can predict them. Implementations return RFC 4122 UUIDs. */
export interface IdGenerator {
  uuid(): string;
}
