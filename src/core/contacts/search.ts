import { Brackets } from 'typeorm';

/**
 * Free text in a contact's name, email or phone, case-insensitively. `%` and `_` are searched for as
 * themselves, not as wildcards.
 */
export function contactMatches(alias: string, text: string): Brackets {
  const like = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return new Brackets((q) => {
    q.where(`LOWER(${alias}.name) LIKE :like ESCAPE '\\'`, { like })
      .orWhere(`LOWER(${alias}.email) LIKE :like ESCAPE '\\'`, { like })
      .orWhere(`${alias}.phone LIKE :like ESCAPE '\\'`, { like });
  });
}
