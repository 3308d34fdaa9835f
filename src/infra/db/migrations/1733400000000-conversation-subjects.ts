import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Email conversations have a subject, shown to agents and repeated (with Re:) in every reply. */
export class ConversationSubjects1733400000000 implements MigrationInterface {
  name = 'ConversationSubjects1733400000000';

  // A plain ALTER: TypeORM's addColumn on SQLite copies the whole conversations table into a new one.
  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE conversations ADD COLUMN "subject" varchar(500)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE conversations DROP COLUMN "subject"`);
  }
}
