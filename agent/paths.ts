/**
 * The agent's files, derived from AgentSettings (protocol.md "Agent on disk"): token and identity
 * under the config dir, applied config, state and pid files under the state dir, logs under the
 * log dir, versioned installs under the install dir.
 */
import path from 'node:path';
import type { AgentSettings } from './settings.ts';

/** Every file and directory the agent uses, derived from settings. */
export interface AgentPaths {
  tokenFile: string;
  identityFile: string;
  stateFile: string;
  configFile: string;
  candidateFile: string;
  appliedCopyFile: string;
  /** Scratch file of validate_config (never run by Vector). */
  validateFile: string;
  agentPidFile: string;
  vectorPidFile: string;
  vectorLogFile: string;
  upgradeLogFile: string;
  versionsDir: string;
  currentLink: string;
}

/** Derives the on-disk layout; pure. */
export function agentPaths(s: AgentSettings): AgentPaths {
  return {
    tokenFile: path.join(s.configDir, 'agent-token'),
    identityFile: path.join(s.configDir, 'agent.json'),
    stateFile: path.join(s.stateDir, 'state.json'),
    configFile: path.join(s.stateDir, 'vector.yaml'),
    candidateFile: path.join(s.stateDir, 'vector.candidate.yaml'),
    appliedCopyFile: path.join(s.stateDir, 'vector.applied.yaml'),
    validateFile: path.join(s.stateDir, 'vector.validate.yaml'),
    agentPidFile: path.join(s.stateDir, 'agent.pid'),
    vectorPidFile: path.join(s.stateDir, 'vector.pid'),
    vectorLogFile: path.join(s.logDir, 'vector.log'),
    upgradeLogFile: path.join(s.logDir, 'upgrade.log'),
    versionsDir: path.join(s.installDir, 'versions'),
    currentLink: path.join(s.installDir, 'current'),
  };
}
