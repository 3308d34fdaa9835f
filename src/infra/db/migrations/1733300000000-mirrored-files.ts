import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Attachments can arrive after their message was copied (an MMS's media): each copy records which of
 * its message's files it has dealt with, so the rest go up later, once each. Existing copies stay null:
 * their files went up with them.
 */
export class MirroredFiles1733300000000 implements MigrationInterface {
  name = 'MirroredFiles1733300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.addColumn('mirrored_messages', new TableColumn({ name: 'copiedFiles', type: 'text', isNullable: true }));
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropColumn('mirrored_messages', 'copiedFiles');
  }
}
