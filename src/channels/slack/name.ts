/** The Slack channel's name: of its mirror, its agents' accounts and its teams' locations. Free of the SDK, for the CLI. */
export const SLACK_TARGET = 'slack';
