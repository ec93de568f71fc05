'use strict';
// An API backend: no views, static files, sessions, schedules or file watchers.
module.exports = {
  schedule: false,
  watcher: false,
  development: false,
  logrotator: false,
  static: false,
  view: false,
  i18n: false,
  multipart: false,
  jsonp: false,
  session: false,
};
