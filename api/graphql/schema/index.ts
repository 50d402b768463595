/**
 * The schema: every domain file registers its types on the builder; this file imports them in a
 * fixed order and builds the schema once.
 */
import { lexicographicSortSchema } from 'graphql';
import { builder } from '../builder.ts';
import '../errors.ts';
import './enums.ts';
import './group.ts';
import './pipeline.ts';
import './pipeline-edit.ts';
import './agent.ts';
import './agent-bulk.ts';
import './agent-live.ts';
import './agent-query.ts';
import './agent-token.ts';
import './action.ts';
import './diagnostics.ts';
import './token.ts';
import './viewer.ts';
import './user.ts';
import './audit.ts';
import './summary.ts';
import './catalogue.ts';
import './release.ts';
import './rules.ts';
import './settings.ts';
import './policy.ts';
import './secret.ts';
import './alert-rule.ts';
import './alert.ts';
import './telemetry.ts';
import './telemetry-fleet.ts';
import './rollout-plan.ts';
import './rollout.ts';
import './rollout-upgrade.ts';

export const schema = lexicographicSortSchema(builder.toSchema());
