// What this user's phone may create: the server's answer (`may`, in the login's and /api/auth/me's user), never
// a rule of the phone's own. A session from before the server published it offers what it always did: the
// server still decides at sync, and a refused record is listed in the banner until dismissed.

/** Whether `user` may create `what` (`create_account`, `record_visit`, `record_activity`, `book_appointment`). */
export function may(user, what) {
  return user?.may ? Boolean(user.may[what]) : true;
}

/** Whether `user` may change `visit`: their own (one made on this phone has no rep_id until the server's copy). */
export function ownsVisit(user, visit) {
  return may(user, "record_visit") && (!visit.rep_id || !user?.id || visit.rep_id === user.id);
}
