from django.urls import path

from liveboard import views

urlpatterns = [
    path("", views.board_page, name="live-board"),
    path("board.js", views.board_script, name="live-board-script"),
    path("board.css", views.board_style, name="live-board-style"),
]
