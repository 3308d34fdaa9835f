import { Initial1732500000000 } from './1732500000000-initial';
import { AgentApi1732600000000 } from './1732600000000-agent-api';
import { ChannelAddresses1732700000000 } from './1732700000000-channel-addresses';
import { Mirrors1732800000000 } from './1732800000000-mirrors';
import { MirrorThreads1732900000000 } from './1732900000000-mirror-threads';
import { Widget1733000000000 } from './1733000000000-widget';
import { ChannelAccounts1733100000000 } from './1733100000000-channel-accounts';
import { IdempotentResults1733200000000 } from './1733200000000-idempotent-results';
import { MirroredFiles1733300000000 } from './1733300000000-mirrored-files';
import { ConversationSubjects1733400000000 } from './1733400000000-conversation-subjects';
import { FollowUps1733500000000 } from './1733500000000-follow-ups';
import { MessageOriginals1733600000000 } from './1733600000000-message-originals';
import { ContactExternalIds1733700000000 } from './1733700000000-contact-external-ids';
import { Webhooks1733800000000 } from './1733800000000-webhooks';
import { ContactMerges1733900000000 } from './1733900000000-contact-merges';
import { CrmInboundEvents1734000000000 } from './1734000000000-crm-inbound-events';

/** Every migration, oldest first. Listed explicitly so the build needs no file globbing. */
export const migrations = [
  Initial1732500000000,
  AgentApi1732600000000,
  ChannelAddresses1732700000000,
  Mirrors1732800000000,
  MirrorThreads1732900000000,
  Widget1733000000000,
  ChannelAccounts1733100000000,
  IdempotentResults1733200000000,
  MirroredFiles1733300000000,
  ConversationSubjects1733400000000,
  FollowUps1733500000000,
  MessageOriginals1733600000000,
  ContactExternalIds1733700000000,
  Webhooks1733800000000,
  ContactMerges1733900000000,
  CrmInboundEvents1734000000000,
];
