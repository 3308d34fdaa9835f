import type { UploadedFile } from '../../protocol';
import type { Chat } from '../chat';
import { h, on } from '../dom';
import type { Strings } from '../i18n';
import { alertLine } from './forms';
import { icon } from './icons';

interface Attachment {
  /** Null while it uploads. */
  uploaded: UploadedFile | null;
  chip: HTMLElement;
}

/**
 * The message box. Files come by the attach button, by pasting or by dropping on the panel; each is
 * uploaded at once (so the hub's verdict on its type and size shows before the visitor sends) and goes
 * with the next message. Enter sends, Shift+Enter starts a new line.
 */
export class Composer {
  readonly element: HTMLFormElement;
  readonly textarea: HTMLTextAreaElement;
  private readonly chips = h('div', { class: 'chips' });
  private readonly error = alertLine();
  private readonly send: HTMLButtonElement;
  private attachments: Attachment[] = [];

  constructor(
    private readonly chat: Chat,
    private readonly strings: Strings,
    private readonly describe: (error: unknown) => string,
  ) {
    const t = strings;
    this.textarea = h('textarea', { 'aria-label': t.message, placeholder: t.message, rows: '1' });
    const picker = h('input', { type: 'file', multiple: true, hidden: true, accept: chat.settings.attachments.allowedTypes.join(',') });
    const attach = h('button', { type: 'button', class: 'icon', 'aria-label': t.attach }, icon('clip'));
    this.send = h('button', {}, t.send);
    this.element = h('form', { class: 'composer' }, this.chips, this.error, attach, this.textarea, this.send, picker);

    on(attach, 'click', () => picker.click());
    on(picker, 'change', () => {
      if (picker.files) this.add(picker.files);
      picker.value = '';
    });
    on(this.textarea, 'paste', (event) => {
      const files = event.clipboardData?.files;
      if (!files?.length) return;
      event.preventDefault();
      this.add(files);
    });
    on(this.textarea, 'input', () => chat.typed(this.textarea.value !== ''));
    on(this.textarea, 'keydown', (event) => {
      if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      this.element.requestSubmit();
    });
    on(this.element, 'submit', (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  add(files: FileList | File[]): void {
    this.error.textContent = '';
    for (const file of files) {
      const remove = h('button', { type: 'button', 'aria-label': `${this.strings.remove} ${file.name}` }, '×');
      const label = h('span', {}, `${file.name} · ${this.strings.uploading}`);
      const attachment: Attachment = { uploaded: null, chip: h('span', {}, label, remove) };
      on(remove, 'click', () => {
        this.drop(attachment);
        this.textarea.focus();
      });
      this.attachments.push(attachment);
      this.chips.append(attachment.chip);
      this.chat
        .upload(file)
        .then((uploaded) => {
          attachment.uploaded = uploaded;
          label.textContent = file.name;
        })
        .catch((error: unknown) => {
          this.drop(attachment);
          this.error.textContent = `${file.name}: ${this.describe(error)}`;
        })
        .finally(() => this.update());
    }
    this.update();
  }

  private submit(): void {
    const body = this.textarea.value.trim();
    const files = this.attachments.map((attachment) => attachment.uploaded).filter((file): file is UploadedFile => file !== null);
    if (this.send.disabled || (!body && files.length === 0)) return;
    this.chat.send(body, files);
    this.textarea.value = '';
    this.attachments = [];
    this.chips.replaceChildren();
    this.error.textContent = '';
  }

  private drop(attachment: Attachment): void {
    this.attachments = this.attachments.filter((other) => other !== attachment);
    attachment.chip.remove();
    this.update();
  }

  /** Sending waits for the uploads in progress. */
  private update(): void {
    this.send.disabled = this.attachments.some((attachment) => !attachment.uploaded);
  }
}
