/** A model object as it travels in JSON: dates become ISO strings. */
export type Json<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

export function toJson<T extends object>(value: T): Json<T> {
  return JSON.parse(JSON.stringify(value)) as Json<T>;
}
