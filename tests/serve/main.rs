//! `serve`: the always-on service — HTTP surface, start-up, the listener, webhooks, the engine.
//! One test binary for these modules: each binary links the whole dependency graph.

mod engine;
mod http;
mod init;
mod listener;
mod live;
mod slow_clients;
mod support;
mod webhook_limits;
mod webhooks;
