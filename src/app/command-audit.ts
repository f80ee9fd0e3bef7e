import type { Command } from '../core/commands.ts'

/** How a command is named in the audit trail (`alert.issue`, `notice.publish`, `threat.report` …). */
export const actionOf = (cmd: Command): string => {
  if (cmd.kind === 'notice') return 'notice.publish'
  if (cmd.kind === 'report_threat') return 'threat.report'
  if (cmd.kind === 'clear_threat') return 'threat.clear'
  return `alert.${cmd.kind}`
}

/** The ids an audit entry needs to find what a command was about. */
export function commandDetail(cmd: Command): Record<string, unknown> {
  switch (cmd.kind) {
    case 'issue':
      return { alertId: cmd.alertId, type: cmd.type, status: cmd.status }
    case 'notice':
      return { noticeId: cmd.noticeId }
    case 'report_threat':
      return { threatId: cmd.threat.id, kind: cmd.threat.kind }
    case 'clear_threat':
      return { threatId: cmd.threatId }
    default:
      return { alertId: cmd.alertId }
  }
}
