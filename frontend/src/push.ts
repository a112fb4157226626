// Web Push on this device: ask permission, subscribe through the service worker, hand the subscription to the API.
import { api, call } from './api/client';
import { keyBytes } from './base64url';

const KEY = 'tjenesteshop.push';

export type PushState = 'unsupported' | 'denied' | 'available';

/** What this browser can do: Web Push needs a service worker, the Push API and notifications. */
export function pushState(): PushState {
  if (typeof window === 'undefined' || !('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return 'unsupported';
  return Notification.permission === 'denied' ? 'denied' : 'available';
}

/** The subscription id the API gave this device, if it subscribed here. */
export function thisDevice(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

function remember(id: string | null): void {
  try {
    if (id) localStorage.setItem(KEY, id);
    else localStorage.removeItem(KEY);
  } catch {
    // Private mode: the device is subscribed, we only forget its id.
  }
}

export class PushRefused extends Error {
  constructor(readonly reason: 'permission' | 'worker' | 'subscribe') {
    super(reason);
  }
}

async function registration(): Promise<ServiceWorkerRegistration> {
  const found = await navigator.serviceWorker.getRegistration('/');
  if (found) return found;
  // The page registers the worker after load; give it a moment, then register it ourselves.
  const ready = navigator.serviceWorker.ready;
  const late = new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000));
  return (await Promise.race([ready, late])) ?? navigator.serviceWorker.register('/sw.js', { scope: '/' });
}

/** Subscribe this device: permission, the push service's subscription, then the API. Returns the API's id. */
export async function subscribeThisDevice(): Promise<string> {
  const { public_key: publicKey } = await call(api.GET('/api/v1/me/push-subscriptions/public-key'));
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new PushRefused('permission');
  let worker: ServiceWorkerRegistration;
  try {
    worker = await registration();
  } catch {
    throw new PushRefused('worker');
  }
  let subscription: PushSubscription;
  try {
    subscription =
      (await worker.pushManager.getSubscription()) ??
      (await worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }));
  } catch {
    throw new PushRefused('subscribe');
  }
  const json = subscription.toJSON();
  const created = await call(
    api.POST('/api/v1/me/push-subscriptions', {
      body: { endpoint: json.endpoint ?? subscription.endpoint, keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' } },
    }),
  );
  remember(created.id);
  return created.id;
}

/** Stop push on this device: the API forgets it, and the browser drops the subscription. */
export async function unsubscribeThisDevice(): Promise<void> {
  const id = thisDevice();
  if (id) {
    try {
      await call(api.DELETE('/api/v1/me/push-subscriptions/{subscription_id}', { params: { path: { subscription_id: id } } }));
    } catch (error) {
      if (!(error instanceof Error && 'status' in error && (error as { status: number }).status === 404)) throw error;
    }
  }
  remember(null);
  const worker = await navigator.serviceWorker.getRegistration('/');
  await (await worker?.pushManager.getSubscription())?.unsubscribe();
}
