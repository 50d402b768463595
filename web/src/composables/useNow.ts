/**
 * The current time as a ref that ticks (every 5 s by default), shared by every caller so relative
 * times and online/offline badges age without a reload. The timer runs while anyone uses it.
 */
import { onScopeDispose, readonly, ref, type Ref } from 'vue';

const now = ref(new Date());
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** A ticking `now`; call in setup (or an effect scope), which stops the tick when the last user goes. */
export function useNow(intervalMs = 5000): Readonly<Ref<Date>> {
  users += 1;
  if (!timer) {
    now.value = new Date();
    timer = setInterval(() => (now.value = new Date()), intervalMs);
  }
  onScopeDispose(() => {
    users -= 1;
    if (users === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  });
  return readonly(now);
}
