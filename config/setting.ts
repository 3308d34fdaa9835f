import { z } from 'zod';

/** One setting: the environment variable that sets it, its default and what it does. */
export interface Setting<T> {
  readonly env: string;
  readonly description: string;
  readonly schema: z.ZodType<T, string | undefined>;
  readonly default?: string;
  /** Secrets are redacted by `hub config` and never logged. */
  readonly secret?: boolean;
  /** How `hub config` writes a parsed value that is not a plain string, number or boolean. */
  readonly show?: (value: T) => string;
}

export function setting<T>(definition: Setting<T>): Setting<T> {
  return definition;
}

export const boolean = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
export const integer = (min: number, max: number) => z.string().regex(/^-?\d+$/, 'expected a whole number').transform(Number).pipe(z.number().min(min).max(max));
/** A number that may have a fraction (`1.5`), between min and max. */
export const decimal = (min: number, max: number) => z.string().regex(/^\d+(\.\d+)?$/, 'expected a number like 24 or 0.5').transform(Number).pipe(z.number().min(min).max(max));
export const url = (protocols: string[]) =>
  z.url({ protocol: new RegExp(`^(${protocols.join('|')})$`), error: `expected a ${protocols.join(' or ')} URL` });

/**
 * A channel's part of the settings. The channel is on when every setting of `turnsOn` is set (always,
 * when it is empty); setting only some of them is a mistake that stops start-up, naming the first one
 * missing. `requiredWith` names settings that need others beside them.
 */
export interface ChannelSection<S extends object> {
  readonly channel: string;
  readonly settings: S;
  readonly turnsOn: readonly (keyof S & string)[];
  readonly requiredWith?: Partial<Record<keyof S & string, readonly (keyof S & string)[]>>;
}

/** What start-up reads of any channel's section: which settings turn it on and which need others. */
export interface SectionRules {
  readonly channel: string;
  readonly turnsOn: readonly string[];
  readonly requiredWith?: Readonly<Partial<Record<string, readonly string[]>>>;
}

export function channelSection<S extends object>(section: ChannelSection<S>): ChannelSection<S> {
  return section;
}
