"""Composing what a channel gets: a day's digest merged over the channel's sources, and the
papers its settings select. Every post (scheduled, `/digest`, `post`, `preview`, vote
alerts) is composed here, so the same channel sees the same papers however it asked."""
