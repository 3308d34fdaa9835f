import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Agents answer from a mirror's thread: the conversation of a thread is looked up by where the thread is. */
export class MirrorThreads1732900000000 implements MigrationInterface {
  name = 'MirrorThreads1732900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createIndex('conversation_mirrors', new TableIndex({ name: 'IDX_conversation_mirrors_thread', columnNames: ['target', 'location', 'threadRef'] }));
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropIndex('conversation_mirrors', 'IDX_conversation_mirrors_thread');
  }
}
