// The website widget (crates/server/assets/widget.js) is plain JavaScript with no exports;
// the preview frame imports it for its effect.
declare module '*/widget.js';
