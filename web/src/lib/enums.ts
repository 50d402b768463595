/**
 * The API's enums as the dashboard offers them. The values come from the objects graphql-codegen
 * emits for each schema enum (codegen/gql, `enumType: 'const'`), so a value added to the schema
 * shows up here, and a label record typed by the enum fails to compile until it names it.
 */
import { Platform, Role } from '../../../codegen/gql/graphql.ts';

interface EnumOption<E extends string> {
  value: E;
  label: string;
}

/** Drop-down options for every value of a generated enum object, labelled by `label`. */
export function enumOptions<E extends string>(
  values: Record<string, E>,
  label: (value: E) => string,
): EnumOption<E>[] {
  return Object.values(values).map((value) => ({ value, label: label(value) }));
}

/** How much each role may do; a higher rank includes everything below it. */
export const ROLE_RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

const ROLE_LABEL: Record<Role, string> = {
  viewer: 'Viewer — reads everything',
  editor: 'Editor — changes the fleet',
  admin: 'Admin — also users, tokens, audit',
};

/** Roles from least to most powerful. */
export const ROLE_OPTIONS = enumOptions(Role, (role) => ROLE_LABEL[role]).sort(
  (a, b) => ROLE_RANK[a.value] - ROLE_RANK[b.value],
);

export const PLATFORM_LABEL: Record<Platform, string> = { linux: 'Linux', kubernetes: 'Kubernetes' };

export const PLATFORM_OPTIONS = enumOptions(Platform, (platform) => PLATFORM_LABEL[platform]);
