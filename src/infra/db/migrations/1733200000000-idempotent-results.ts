import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Idempotency records keep the message a keyed request stored, not an HTTP response: the body column
 * (already that message as JSON) becomes `result`, and the status, always 201, goes.
 */
export class IdempotentResults1733200000000 implements MigrationInterface {
  name = 'IdempotentResults1733200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.dropColumn('idempotency_keys', 'responseStatus');
    await runner.renameColumn('idempotency_keys', 'responseBody', 'result');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.renameColumn('idempotency_keys', 'result', 'responseBody');
    await runner.addColumn('idempotency_keys', new TableColumn({ name: 'responseStatus', type: 'integer', default: 201 }));
  }
}
