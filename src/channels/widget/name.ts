/** The web chat widget's channel name: of its visitors' identities, its conversations and its websites' inboxes. */
export const WIDGET_CHANNEL = 'widget';
