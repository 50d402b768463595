/**
 * Light or dark: follows the operating system's setting unless the user picked one, which is
 * remembered in localStorage. The choice is a class on <html> (DARK_CLASS), which both PrimeVue's
 * Aura preset (darkModeSelector) and styles.css key on; applied before the app mounts, so no flash.
 */
import { ref, type Ref } from 'vue';

/** The class on <html> that turns the dark theme on. */
export const DARK_CLASS = 'fl-dark';

/** What the user chose: follow the system, or a fixed scheme. */
export type SchemePreference = 'system' | 'light' | 'dark';

const STORAGE_KEY = 'flotilla.colorScheme';
const PREFERENCES: readonly SchemePreference[] = ['system', 'light', 'dark'];

export interface ColorScheme {
  preference: Ref<SchemePreference>;
  /** The scheme in effect now. */
  dark: Ref<boolean>;
  /** What the operating system prefers. */
  systemDark: Ref<boolean>;
  /** Choose and remember a preference. */
  choose(preference: SchemePreference): void;
}

function stored(storage: Storage | undefined): SchemePreference {
  try {
    const value = storage?.getItem(STORAGE_KEY);
    return PREFERENCES.includes(value as SchemePreference) ? (value as SchemePreference) : 'system';
  } catch {
    return 'system';
  }
}

let instance: ColorScheme | null = null;

/**
 * The page's color scheme (one per page): reads the remembered preference, applies it to <html>
 * and keeps following the system setting while the preference is `system`.
 */
export function useColorScheme(): ColorScheme {
  if (instance) return instance;
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const preference = ref<SchemePreference>(stored(window.localStorage));
  const dark = ref(false);
  const systemDark = ref(media.matches);
  const apply = () => {
    systemDark.value = media.matches;
    dark.value = preference.value === 'dark' || (preference.value === 'system' && media.matches);
    document.documentElement.classList.toggle(DARK_CLASS, dark.value);
    document.documentElement.style.colorScheme = dark.value ? 'dark' : 'light';
  };
  media.addEventListener('change', apply);
  apply();
  instance = {
    preference,
    dark,
    systemDark,
    choose(next) {
      preference.value = next;
      try {
        if (next === 'system') window.localStorage.removeItem(STORAGE_KEY);
        else window.localStorage.setItem(STORAGE_KEY, next);
      } catch {
        // Storage refused (private mode): the choice holds for this page only.
      }
      apply();
    },
  };
  return instance;
}
