/**
 * A ref callback that moves focus to an element once, when it mounts (a receipt's heading, an alert).
 *
 * Pass this function itself, never an inline `(el) => el?.focus()`: an inline arrow is a new callback on every
 * render, so React detaches and re-attaches it each time and focus jumps back to the element whenever the screen
 * re-renders (a query refetched in the background), taking it from wherever a keyboard user has since moved.
 */
export function focusOnMount(el: HTMLElement | null): void {
  el?.focus();
}
