import { Router } from 'express';
import { z } from 'zod';
import { ForbiddenError, NotFoundError } from '../../core/errors';
import type { FileLinks } from '../../core/files/links';
import { attachmentOf, storeUpload, type UploadPolicy } from '../../core/files/uploads';
import type { FileStorage } from '../../core/ports/file-storage';
import { fileKeyInput } from '../../http/inputs';
import { route, type RouteSpec } from '../../http/route';
import { sendDownload } from '../../http/send-file';

const keyParams = z.strictObject({ key: fileKeyInput.describe('The fileKey of an uploaded file') });

const uploadQuery = z.strictObject({
  name: z.string().max(1024).optional().describe("The file's name; else the filename of a Content-Disposition header; else \"file\""),
});

export const storedFileView = z.object({
  fileKey: z.string().describe('Refer to the file in a reply: attachments: [{ fileKey }]'),
  url: z.string().describe('Where agents download it, with an API key'),
  contentType: z.string().describe('The type read from the bytes'),
  name: z.string(),
  size: z.number(),
});

/** The filename of a Content-Disposition header: RFC 8187 `filename*` first, then `filename`. */
function dispositionName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*utf-8'[^']*'([^;\s]+)/i.exec(header)?.[1];
  if (extended !== undefined) {
    try {
      return decodeURIComponent(extended);
    } catch {
      // a malformed encoding: fall back to the plain filename
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(header);
  return plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2];
}

/** `GET /files/:key?expires=&signature=`: a stored file behind a signed link instead of an API key. */
export function publicFileRoutes({ storage, links }: { storage: FileStorage; links: FileLinks }): Router {
  const router = Router();
  router.get('/files/:key', async (req, res) => {
    const { expires, signature } = req.query;
    if (typeof expires !== 'string' || typeof signature !== 'string' || !links.verify(req.params.key, expires, signature)) {
      throw new ForbiddenError('This file link is invalid or has expired.');
    }
    const file = await storage.open(req.params.key);
    if (!file) throw new NotFoundError('The file');
    // Pictures in a visitor's chat are shown on the customer's website, another origin than the hub's.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    await sendDownload(req, res, { ...file.meta, body: file.stream });
  });
  return router;
}

export function fileRoutes({ storage, policy, publicUrl }: { storage: FileStorage; policy: UploadPolicy; publicUrl: string }): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/files',
      operationId: 'uploadFile',
      summary: 'Upload a file, to attach it to replies',
      tag: 'Files',
      scope: 'write',
      query: uploadQuery,
      upload: {
        maxBytes: policy.maxBytes,
        description: `The file's bytes as the whole request body, any Content-Type (up to ${policy.maxBytes} bytes). Its type is read from the bytes; the accepted types are set by UPLOAD_ALLOWED_TYPES.`,
      },
      headers: [{ name: 'Content-Disposition', description: 'attachment; filename="invoice.pdf" names the file when ?name= does not' }],
      responses: { 201: { description: 'The stored file, as an attachment', schema: storedFileView } },
      async handler({ query, req }) {
        const bytes: unknown = req.body;
        const upload = await storeUpload(storage, policy, Buffer.isBuffer(bytes) ? bytes : Buffer.alloc(0), {
          name: query.name ?? dispositionName(req.get('content-disposition')),
          contentType: req.get('content-type'),
        });
        const attachment = attachmentOf(upload, publicUrl);
        return { status: 201, body: attachment, headers: { Location: attachment.url } };
      },
    }),
    route({
      method: 'get',
      path: '/files/:key',
      operationId: 'getFile',
      summary: 'Download an uploaded file',
      tag: 'Files',
      scope: 'read',
      params: keyParams,
      errors: [404],
      responses: { 200: { description: "The file's bytes, with its stored type", contentType: '*/*' } },
      async handler({ params, req, res }) {
        const file = await storage.open(params.key);
        if (!file) throw new NotFoundError('The file');
        await sendDownload(req, res, { ...file.meta, body: file.stream });
        return undefined;
      },
    }),
  ];
}
