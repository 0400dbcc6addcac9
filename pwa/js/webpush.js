// Web Push where it works (server/notify/webpush.py): once this browser may show notifications, it subscribes at
// its push service with the server's VAPID key and the server keeps the subscription; the service worker shows
// what comes (sw.js, "push"). Not relied upon: in China Chrome's push service is not reached, the notices still
// come in the app (and through WeCom / DingTalk). Every step is best effort and says how far it got.
import { online, request } from "./api.js";
import { getMeta, setMeta } from "./db.js";

/** Subscribe this browser if it can and the server pushes: "subscribed", or why not ("unsupported", "not_allowed",
 *  "offline", "off" on the server, "refused" by the browser or its push service, "taken": the server keeps this
 *  browser's push address for another user, even after a fresh subscription). The one step the app's start and
 *  the Me screen's "allow" both take; whether the address was taken is kept for the Me screen to say (`pushTaken`). */
export async function keepPushSubscription() {
  const said = await subscribeHere();
  if (said === "subscribed" || said === "taken") await setMeta("push_taken", said === "taken");
  return said;
}

/** Whether the last subscription step, at the app's start or on the Me screen, found this browser's push address
 *  kept for another user. */
export function pushTaken() {
  return getMeta("push_taken", false);
}

async function subscribeHere() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return "unsupported";
  if (Notification.permission !== "granted") return "not_allowed";
  if (!online()) return "offline";
  try {
    const key = await request("GET", "/api/push/key");
    if (!key.enabled) return "off";
    const registration = await navigator.serviceWorker.ready;
    const subscribe = () => registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key.public_key });
    const subscription = (await registration.pushManager.getSubscription()) ?? (await subscribe());
    try {
      await request("PUT", "/api/push/subscription", subscription.toJSON());
    } catch (error) {
      // Another user's, with other keys: what the server asks for, a fresh subscription (a new address), once.
      if (error.code !== "push_endpoint_taken") throw error;
      await subscription.unsubscribe();
      await request("PUT", "/api/push/subscription", (await subscribe()).toJSON());
    }
    return "subscribed";
  } catch (error) {
    return error?.code === "push_endpoint_taken" ? "taken" : "refused";
  }
}

/** At logout: the server forgets this browser's subscription and the browser drops it (best effort). */
export async function dropPushSubscription() {
  try {
    const registration = await navigator.serviceWorker?.getRegistration?.();
    const subscription = await registration?.pushManager?.getSubscription();
    await setMeta("push_taken", false);
    if (!subscription) return;
    await request("DELETE", "/api/push/subscription", { endpoint: subscription.endpoint }).catch(() => {});
    await subscription.unsubscribe();
  } catch {
    // Nothing to drop, or the browser would not: the next login's subscription replaces it on the server.
  }
}
