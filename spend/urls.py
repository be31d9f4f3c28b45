from django.urls import path

from spend import views

app_name = "spend"

urlpatterns = [
    path("spend/", views.service_list, name="service_list"),
]
