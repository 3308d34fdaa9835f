import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Email conversations have a subject, shown to agents and repeated (with Re:) in every reply. */
export class ConversationSubjects1733400000000 implements MigrationInterface {
  name = 'ConversationSubjects1733400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.addColumn('conversations', new TableColumn({ name: 'subject', type: 'varchar', length: '500', isNullable: true }));
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropColumn('conversations', 'subject');
  }
}
