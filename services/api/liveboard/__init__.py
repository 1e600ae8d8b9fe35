"""The live board: a page that logs in, follows a project over /ws/v1/ and shows its task events
as they happen. Plain HTML, CSS and JavaScript, no build step, no inline script or style."""
